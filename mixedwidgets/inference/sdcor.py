"""θ ↔ standard deviations and correlations of the random effects, under lme4's `oldNames = FALSE` labels.

lme4 reports and profiles the variance parameters on the sd/cor scale: for each term (sorted by number
of levels, as θ is) the entries of its lower-triangular factor T, column by column, become `sd_x|g` on the
diagonal and `cor_x.y|g` off it; Σ = σ² T T'. GLMMs have σ = 1 and no `sigma` row.
"""

from __future__ import annotations

import numpy as np

from ..backend.reterms import RandomEffectsStructure


def sdcor_names(structure: RandomEffectsStructure) -> list[str]:
    """lme4's labels of the θ entries on the sd/cor scale: sd_(Intercept)|Subject, cor_Days.(Intercept)|Subject, …"""
    names = []
    for term in structure.terms:
        for r, c in zip(term.rows, term.cols):
            label = f"sd_{term.columns[r]}" if r == c else f"cor_{term.columns[r]}.{term.columns[c]}"
            names.append(f"{label}|{term.group}")
    return names


def is_correlation(structure: RandomEffectsStructure) -> np.ndarray:
    """True for the entries that are correlations (bounded by ±1), False for standard deviations."""
    return ~structure.is_diagonal_entry()


def theta_to_sdcor(structure: RandomEffectsStructure, theta: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Standard deviations and correlations, in θ's order."""
    out = np.empty(len(theta))
    for term in structure.terms:
        t = term.factor(theta)
        cov = t @ t.T
        sd = np.sqrt(np.diag(cov))
        values = []
        for r, c in zip(term.rows, term.cols):
            if r == c:
                values.append(sigma * sd[r])
            else:
                values.append(cov[r, c] / (sd[r] * sd[c]) if sd[r] > 0 and sd[c] > 0 else 0.0)
        out[term.theta_slice] = values
    return out


def sdcor_to_theta(structure: RandomEffectsStructure, sdcor: np.ndarray, sigma: float = 1.0) -> np.ndarray | None:
    """θ from standard deviations and correlations; None when the correlations are not a valid matrix."""
    theta = np.empty(len(sdcor))
    for term in structure.terms:
        values = sdcor[term.theta_slice]
        if term.q <= 2 and len(values) == 2 * term.q - 1:  # (1 | g) and correlated (1 + x | g): closed forms
            if term.q == 2 and abs(values[1]) > 1.0:
                return None
            theta[term.theta_slice] = _small_theta(values, sigma)
            continue
        sd = np.zeros(term.q)
        corr = np.eye(term.q)
        for (r, c), v in zip(zip(term.rows, term.cols), values):
            if r == c:
                sd[r] = v / sigma
            else:
                corr[r, c] = corr[c, r] = v
        t = semidefinite_cholesky(corr * np.outer(sd, sd))
        if t is None:
            return None
        theta[term.theta_slice] = t[term.rows, term.cols]
    return theta


def _small_theta(values: np.ndarray, sigma: float) -> list[float]:
    if len(values) == 1:
        return [values[0] / sigma]
    sd1, rho, sd2 = values
    return [sd1 / sigma, rho * sd2 / sigma, np.sqrt(max(1.0 - rho * rho, 0.0)) * sd2 / sigma]


def semidefinite_cholesky(a: np.ndarray) -> np.ndarray | None:
    """Lower factor L with L L' = a for a positive semidefinite a (zero columns where a pivot vanishes)."""
    q = a.shape[0]
    out = np.zeros_like(a)
    tolerance = 1e-12 * max(float(np.max(np.abs(np.diag(a)), initial=0.0)), 1e-300)
    for j in range(q):
        pivot = a[j, j] - out[j, :j] @ out[j, :j]
        if pivot < -1e-9 * max(a[j, j], 1e-300):
            return None
        if pivot <= tolerance:
            continue
        out[j, j] = np.sqrt(pivot)
        out[j + 1 :, j] = (a[j + 1 :, j] - out[j + 1 :, :j] @ out[j, :j]) / out[j, j]
    return out
