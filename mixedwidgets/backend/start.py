"""Starting values for θ: method-of-moments guesses for random intercepts, 1 elsewhere (lme4's start).

A start near the optimum saves the optimizer many evaluations on large crossed models, where each
evaluation costs a dense Cholesky factorization.
"""

from __future__ import annotations

import numpy as np

from .reterms import RandomEffectsStructure

MIN_START = 0.05
MAX_START = 10.0


def intercept_ratio(codes: np.ndarray, residuals: np.ndarray, n_levels: int) -> float:
    """√(τ²/σ²) from the spread of the groups' mean residuals (one-way ANOVA moments)."""
    counts = np.bincount(codes, minlength=n_levels).astype(float)
    used = counts > 0
    means = np.bincount(codes, weights=residuals, minlength=n_levels)[used] / counts[used]
    counts = counts[used]
    within_dof = len(residuals) - len(counts)
    if within_dof <= 0 or len(counts) < 2:
        return 1.0
    within = (residuals**2).sum() - (counts * means**2).sum()   # Σ (r − group mean)²
    within = max(within / within_dof, 1e-12)
    grand = np.average(means, weights=counts)
    between = np.average((means - grand) ** 2, weights=counts) * len(counts) / (len(counts) - 1)
    tau2 = max(between - within * np.mean(1.0 / counts), 0.0)
    return float(np.clip(np.sqrt(tau2 / within), MIN_START, MAX_START))


def starting_theta(structure: RandomEffectsStructure, design_terms, X: np.ndarray,
                   y: np.ndarray) -> np.ndarray:
    """θ₀: diagonal entries of constant columns from moments of OLS residuals; others as lme4 (1, 0)."""
    theta = structure.theta0.copy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    residuals = y - X @ beta
    for layout in structure.terms:
        term = design_terms[layout.design_position]
        values = np.asarray(term.values, dtype=float).reshape(len(y), layout.q)
        for k, (r, c) in enumerate(zip(layout.rows, layout.cols)):
            if r == c and np.all(values[:, r] == 1.0):
                theta[layout.theta_slice.start + k] = intercept_ratio(term.codes, residuals, layout.n_levels)
    return theta
