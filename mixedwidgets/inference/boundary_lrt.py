"""Likelihood-ratio tests of variance components: the boundary (χ̄²) p-value and a parametric bootstrap.

A variance cannot be negative, so under "the extra variance is zero" the LRT statistic is not χ²_d but
a mixture (Self & Liang 1987; Stram & Lee 1994):
- the bigger model adds k independent variances and no correlations (new scalar terms, `||` terms):
  Σ_j C(k, j) 2⁻ᵏ χ²_j, j = 0..k (χ²₀ is the point mass at 0); for one variance 50:50 χ²₀ : χ²₁;
- it adds one random effect to a correlated term with q effects (one variance and q correlations,
  d = q + 1): 50:50 χ²_{d−1} : χ²_d;
- anything else: 50:50 χ²_{d−1} : χ²_d as an approximation (the note says so).
The naive χ²_d p-value is conservative (too large) in every case.

The parametric bootstrap test is pbkrtest's PBmodcomp: simulate from the smaller (null) model fitted by
ML, refit both models by ML to each draw, and p = (1 + #{LRT* ≥ LRT}) / (1 + draws).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from .bootstrap import check_nsim, progress_callback, run_draws
from .confint import draw_task
from .sdcor import sdcor_names


def chi2_sf(x: float, df: int) -> float:
    """P(χ²_df ≥ x), with χ²₀ the point mass at 0."""
    if df == 0:
        return 1.0 if x <= 0 else 0.0
    return float(stats.chi2.sf(x, df))


@dataclass(frozen=True)
class BoundaryMixture:
    """Weights of χ²_j in the null distribution of the LRT, and whether the mixture is exact."""

    weights: dict[int, float]
    exact: bool

    def p_value(self, chisq: float) -> float:
        return float(sum(w * chi2_sf(chisq, df) for df, w in self.weights.items()))

    @property
    def label(self) -> str:
        parts = " + ".join(f"{w:g}·χ²{_subscript(df)}" for df, w in sorted(self.weights.items()))
        return parts if self.exact else f"{parts} (approximate)"


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def differ_only_in_random_effects(small_design, big_design) -> bool:
    """Same fixed-effect columns (names and values): the models differ only in their random effects."""
    return (
        tuple(small_design.fixed_names) == tuple(big_design.fixed_names)
        and small_design.X.shape == big_design.X.shape
        and np.allclose(small_design.X, big_design.X)
    )


def boundary_mixture(small_structure, big_structure) -> BoundaryMixture | None:
    """The χ̄² null distribution for testing the extra variance parameters; None when not nested that way."""
    small, big = set(sdcor_names(small_structure)), sdcor_names(big_structure)
    extra = [name for name in big if name not in small]
    if not extra or not small <= set(big):
        return None
    n_sd = sum(name.startswith("sd_") for name in extra)
    n_cor = len(extra) - n_sd
    if n_cor == 0:
        return BoundaryMixture({j: special.comb(n_sd, j) / 2**n_sd for j in range(n_sd + 1)}, True)
    d = len(extra)
    return BoundaryMixture({d - 1: 0.5, d: 0.5}, n_sd == 1)


@dataclass
class LrtDrawTask:
    """One PBmodcomp draw: simulate from the null fit, refit null and alternative, return their LRT."""

    null: Any
    alternative: Any

    @property
    def names(self) -> list[str]:
        return ["lrt"]

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        y = self.null.simulate(rng)
        d0, d1 = self.null.refit(y)[1], self.alternative.refit(y)[1]
        return np.array([max(d0 - d1, 0.0) if np.isfinite(d0) and np.isfinite(d1) else np.nan])


def bootstrap_lrt(
    small_design,
    small_fit,
    big_design,
    big_fit,
    observed: float,
    nsim: int = 1000,
    seed=None,
    n_jobs: int = -1,
    progress=False,
) -> tuple[float, int]:
    """PBmodcomp's p-value for ML fits of the smaller and bigger model, and the number of usable draws."""
    nsim = check_nsim(nsim)
    task = LrtDrawTask(draw_task(small_design, small_fit), draw_task(big_design, big_fit))
    lrt = run_draws(task, nsim, seed, n_jobs, progress_callback(progress, "bootstrap LRT"))[:, 0]
    lrt = lrt[np.isfinite(lrt)]
    return float((1 + np.sum(lrt >= observed - 1e-9)) / (1 + len(lrt))), len(lrt)
