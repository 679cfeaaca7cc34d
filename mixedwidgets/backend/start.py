"""Starting values for θ from method-of-moments estimates (lme4 starts at 1 on diagonals, 0 elsewhere).

For each term, every level's least-squares coefficients c_g of the OLS residuals on the term's
columns are computed from the per-level cross-products; their spread across levels, less the average
sampling covariance σ²(Z_g'Z_g)⁻¹, estimates the random-effect covariance Σ. θ₀ is read off the
Cholesky factor of Σ/σ². A start near the optimum saves many evaluations on large models, where each
one costs a dense Cholesky factorization; where the moments are unusable the lme4 start is kept.
"""

from __future__ import annotations

import numpy as np

from .crossprod import blockdiag_crossprod
from .reterms import RandomEffectsStructure

MIN_RATIO = 0.05
MAX_RATIO = 10.0


def level_coefficients(codes, values, residuals, n_levels):
    """(coefficients (levels, q), Z_g'Z_g (levels, q, q), usable levels) for one term."""
    q = values.shape[1]
    gram = blockdiag_crossprod(codes, values, n_levels)
    rhs = np.stack([np.bincount(codes, values[:, a] * residuals, minlength=n_levels) for a in range(q)], 1)
    counts = np.bincount(codes, minlength=n_levels)
    usable = (counts > q) & (np.linalg.cond(gram) < 1e8)
    coef = np.zeros((n_levels, q))
    if usable.any():
        coef[usable] = np.linalg.solve(gram[usable], rhs[usable][..., None])[..., 0]
    return coef, gram, usable, rhs


def term_covariance_ratio(codes, values, residuals, n_levels, blocks):
    """Σ/σ² estimated by moments, with entries across uncorrelated blocks set to zero; None if unusable."""
    coef, gram, usable, rhs = level_coefficients(codes, values, residuals, n_levels)
    q = values.shape[1]
    if usable.sum() < 3:
        return None
    fitted_ss = np.einsum("ga,ga->", coef[usable], rhs[usable])
    counts = np.bincount(codes, minlength=n_levels)
    dof = counts[usable].sum() - q * usable.sum()
    if dof <= 0:
        return None
    total_ss = np.bincount(codes, residuals * residuals, minlength=n_levels)[usable].sum()
    sigma2 = max(total_ss - fitted_ss, 1e-12 * total_ss) / dof   # a floor relative to the data's scale
    if sigma2 <= 0:
        return None
    spread = np.cov(coef[usable].T).reshape(q, q)
    sampling = sigma2 * np.linalg.inv(gram[usable]).mean(axis=0)
    ratio = (spread - sampling) / sigma2
    mask = np.zeros((q, q), dtype=bool)
    for members in blocks:
        mask[np.ix_(members, members)] = True
    ratio = np.where(mask, ratio, 0.0)
    vals, vecs = np.linalg.eigh(ratio)
    floor = MIN_RATIO**2 * max(vals.max(), 1.0)
    return (vecs * np.clip(vals, floor, MAX_RATIO**2)) @ vecs.T


def _shrunken_effects(codes, values, residuals, n_levels, ratio):
    """Per-row fitted random effects Z b with b_g = (Z_g'Z_g + (Σ/σ²)⁻¹)⁻¹ Z_g' r_g."""
    _, gram, _, rhs = level_coefficients(codes, values, residuals, n_levels)
    b = np.linalg.solve(gram + np.linalg.inv(ratio), rhs[..., None])[..., 0]
    return np.einsum("ia,ia->i", values, b[codes])


def starting_theta(structure: RandomEffectsStructure, design_terms, X: np.ndarray, y: np.ndarray,
                   sweeps: int = 2) -> np.ndarray:
    """θ₀ for the optimizer, in the structure's order.

    With several terms the estimates are refined by backfitting: each term is estimated on the
    residuals left after removing the other terms' shrunken effects.
    """
    theta = structure.theta0.copy()
    # least squares through the p × p normal equations: no n × p copy (a start needs no more accuracy)
    beta, *_ = np.linalg.lstsq(X.T @ X, X.T @ y, rcond=None)
    residuals = y - X @ beta
    # coarse factors first, so that a nesting factor is not absorbed by the factor nested in it
    layouts = sorted(structure.terms, key=lambda t: t.n_levels)
    terms = [(layout, design_terms[layout.design_position]) for layout in layouts]
    values = [np.asarray(t.values, dtype=float).reshape(len(y), layout.q) for layout, t in terms]
    effects = [np.zeros(len(y)) for _ in terms]
    for _ in range(sweeps if len(terms) > 1 else 1):
        for k, (layout, term) in enumerate(terms):
            partial = residuals + effects[k]
            ratio = term_covariance_ratio(term.codes, values[k], partial, layout.n_levels, term.blocks)
            if ratio is None:
                continue
            factor = np.linalg.cholesky(ratio + 1e-10 * np.eye(layout.q))
            theta[layout.theta_slice] = factor[layout.rows, layout.cols]
            if len(terms) > 1:   # backfitting needs the other terms' effects; one term does not
                effects[k] = _shrunken_effects(term.codes, values[k], partial, layout.n_levels, ratio)
                residuals = partial - effects[k]
    return theta
