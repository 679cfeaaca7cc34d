"""Starting values for θ from method-of-moments estimates (lme4 starts at 1 on diagonals, 0 elsewhere).

For each term, every level's least-squares coefficients c_g of the OLS residuals on the term's
columns are computed from the per-level cross-products; their spread across levels, less the average
sampling covariance σ²(Z_g'Z_g)⁻¹, estimates the random-effect covariance Σ. θ₀ is read off the
Cholesky factor of Σ/σ². A start near the optimum saves many evaluations on large models, where each
one costs a dense Cholesky factorization; where the moments are unusable the lme4 start is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .crossprod import blockdiag_crossprod
from .crossprod_dense import row_chunks
from .reterms import RandomEffectsStructure

MIN_RATIO = 0.05
MAX_RATIO = 10.0


@dataclass(frozen=True)
class LevelSums:
    """Per-level sums of one term over rows: Z_g'Z_g, Z_g'r, row counts and Σ r² (sums add across chunks)."""

    gram: np.ndarray  # (levels, q, q)
    rhs: np.ndarray  # (levels, q)
    counts: np.ndarray  # (levels,)
    ss: np.ndarray  # (levels,)

    def __add__(self, other: LevelSums) -> LevelSums:
        return LevelSums(self.gram + other.gram, self.rhs + other.rhs, self.counts + other.counts, self.ss + other.ss)


def level_sums(codes, values, residuals, n_levels) -> LevelSums:
    q = values.shape[1]
    gram = blockdiag_crossprod(codes, values, n_levels)
    rhs = np.stack([np.bincount(codes, values[:, a] * residuals, minlength=n_levels) for a in range(q)], 1)
    return LevelSums(
        gram,
        rhs,
        np.bincount(codes, minlength=n_levels).astype(float),
        np.bincount(codes, residuals * residuals, minlength=n_levels),
    )


def level_coefficients(sums: LevelSums):
    """(coefficients (levels, q), usable levels) of one term's per-level least squares."""
    q = sums.gram.shape[1]
    usable = (sums.counts > q) & (np.linalg.cond(sums.gram) < 1e8)
    coef = np.zeros((len(sums.counts), q))
    if usable.any():
        coef[usable] = np.linalg.solve(sums.gram[usable], sums.rhs[usable][..., None])[..., 0]
    return coef, usable


def covariance_ratio(sums: LevelSums, blocks) -> np.ndarray | None:
    """Σ/σ² estimated by moments, with entries across uncorrelated blocks set to zero; None if unusable."""
    coef, usable = level_coefficients(sums)
    gram, q = sums.gram, sums.gram.shape[1]
    if usable.sum() < 3:
        return None
    fitted_ss = np.einsum("ga,ga->", coef[usable], sums.rhs[usable])
    dof = sums.counts[usable].sum() - q * usable.sum()  # > 0: every usable level has more than q rows
    total_ss = sums.ss[usable].sum()
    sigma2 = max(total_ss - fitted_ss, 1e-12 * total_ss) / dof  # a floor relative to the data's scale
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


def shrunken_coefficients(sums: LevelSums, ratio: np.ndarray) -> np.ndarray:
    """b_g = (Z_g'Z_g + (Σ/σ²)⁻¹)⁻¹ Z_g' r_g per level, (levels, q)."""
    return np.linalg.solve(sums.gram + np.linalg.inv(ratio), sums.rhs[..., None])[..., 0]


def row_effects(codes, values, b: np.ndarray) -> np.ndarray:
    """Per-row Z b of one term."""
    return np.einsum("ia,ia->i", values, b[codes])


def start_beta(xtx: np.ndarray, xty: np.ndarray) -> np.ndarray:
    """Least squares through the p × p normal equations: no n × p copy (a start needs no more accuracy)."""
    return np.linalg.lstsq(xtx, xty, rcond=None)[0]


def theta_entries(layout, ratio: np.ndarray) -> np.ndarray:
    factor = np.linalg.cholesky(ratio + 1e-10 * np.eye(layout.q))
    return factor[layout.rows, layout.cols]


def starting_theta(
    structure: RandomEffectsStructure, design_terms, X: np.ndarray, y: np.ndarray, sweeps: int = 2
) -> np.ndarray:
    """θ₀ for the optimizer, in the structure's order.

    With several terms the estimates are refined by backfitting: each term is estimated on the
    residuals left after removing the other terms' shrunken effects.
    """
    theta = structure.theta0.copy()
    beta = start_beta(X.T @ X, X.T @ y)
    # coarse factors first, so that a nesting factor is not absorbed by the factor nested in it
    layouts = sorted(structure.terms, key=lambda t: t.n_levels)
    terms = [(layout, design_terms[layout.design_position]) for layout in layouts]
    values = [np.asarray(t.values, dtype=float).reshape(len(y), layout.q) for layout, t in terms]
    if len(terms) == 1:  # no backfitting: the level sums chunk by chunk of rows, no n-sized temporaries
        (layout, term), sums = terms[0], None
        for rows in row_chunks(len(y)):
            part = level_sums(term.codes[rows], values[0][rows], y[rows] - X[rows] @ beta, layout.n_levels)
            sums = part if sums is None else sums + part
        assert sums is not None  # row_chunks gives at least one chunk
        ratio = covariance_ratio(sums, term.blocks)
        if ratio is not None:
            theta[layout.theta_slice] = theta_entries(layout, ratio)
        return theta
    residuals = y - X @ beta
    effects = [np.zeros(len(y)) for _ in terms]
    for _ in range(sweeps):
        for k, (layout, term) in enumerate(terms):
            partial = residuals + effects[k]
            sums = level_sums(term.codes, values[k], partial, layout.n_levels)
            ratio = covariance_ratio(sums, term.blocks)
            if ratio is None:
                continue
            theta[layout.theta_slice] = theta_entries(layout, ratio)
            effects[k] = row_effects(term.codes, values[k], shrunken_coefficients(sums, ratio))
            residuals = partial - effects[k]
    return theta
