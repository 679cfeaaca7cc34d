"""Satterthwaite's degrees of freedom for t and F tests of fixed-effect contrasts, as lmerTest 3.1.

One contrast c: df = 2 (c'Vc)² / (g'Ag), g_i = c' ∂V/∂φ_i c (lmerTest's `contest1D`).
Several contrasts L (lmerTest's `contestMD`): eigen-decompose LVL' = P D P', test the q independent
rows of P'L one by one, F = Σ (P'Lβ)²/d / q, and combine their df ν_m as E = Σ ν/(ν−2),
df = 2E/(E − q) (2 when any ν ≤ 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .varpar import VarianceCurvature

#: lmerTest's relative tolerance on the eigenvalues of LVL' (sqrt of machine epsilon)
RANK_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class ContrastTest:
    """One t test of c'β = 0."""

    estimate: float
    std_error: float
    df: float


@dataclass(frozen=True)
class FTest:
    """One F test of Lβ = 0, with lmerTest's sum of squares (F σ² q) and mean square (F σ²)."""

    sum_sq: float
    mean_sq: float
    num_df: int
    den_df: float
    f_value: float


def contrast_df(curvature: VarianceCurvature, c: np.ndarray) -> float:
    """Satterthwaite's df of c'β̂."""
    variance = np.float64(c @ curvature.vcov_beta @ c)
    gradient = np.einsum("i,kij,j->k", c, curvature.vcov_jacobian, c)
    spread = np.float64(gradient @ curvature.covariance @ gradient)
    if not (np.isfinite(variance) and np.isfinite(spread)) or spread < 0:
        return float("nan")
    with np.errstate(over="ignore", divide="ignore"):
        # a variance that does not move with the variance parameters (spread 0): the normal limit, df = ∞
        return float(2.0 * variance**2 / spread)


def contrast_test(curvature: VarianceCurvature, beta: np.ndarray, c: np.ndarray) -> ContrastTest:
    variance = float(c @ curvature.vcov_beta @ c)
    return ContrastTest(float(c @ beta), float(np.sqrt(variance)), contrast_df(curvature, c))


def coefficient_tests(curvature: VarianceCurvature, beta: np.ndarray) -> list[ContrastTest]:
    """One test per fixed effect (the rows of lmerTest's summary)."""
    return [contrast_test(curvature, beta, row) for row in np.eye(len(beta))]


def combined_df(nu: np.ndarray) -> float:
    """lmerTest's `get_Fstat_ddf`: the df of a sum of independent F(1, ν_m) / q."""
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < 1e-8):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2)))
    return 2.0 * e / (e - len(nu))


def f_test(curvature: VarianceCurvature, beta: np.ndarray, L: np.ndarray, sigma: float) -> FTest | None:
    """Satterthwaite F test of Lβ = 0; None when L has no rows or rank 0."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if L.shape[0] == 0:
        return None
    values, vectors = np.linalg.eigh(L @ curvature.vcov_beta @ L.T)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    keep = values > max(RANK_TOLERANCE * values[0], 0.0)
    q = int(keep.sum())
    if q == 0:
        return None
    rows = vectors[:, keep].T @ L  # P'L, q × p
    f_value = float(np.sum((rows @ beta) ** 2 / values[keep]) / q)
    nu = np.array([contrast_df(curvature, row) for row in rows])
    den = combined_df(nu)
    mean_sq = f_value * sigma**2
    return FTest(mean_sq * q, mean_sq, q, den, f_value)
