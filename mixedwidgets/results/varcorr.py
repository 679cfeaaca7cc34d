"""Variance components: lme4's as.data.frame(VarCorr(fit)) layout and per-group covariance matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..backend.reterms import RandomEffectsStructure


def term_covariances(structure: RandomEffectsStructure, theta: np.ndarray, sigma: float) -> list[np.ndarray]:
    """Σ_k = σ² T_k T_k' for each sorted term."""
    return [sigma**2 * t @ t.T for t in structure.factors(theta)]


def correlated_pairs(layout) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of a term's columns that share a correlated block (lme4's order)."""
    together = {(int(c), int(r)) for r, c in zip(layout.rows, layout.cols) if r != c}
    return [(i, j) for i in range(layout.q) for j in range(i + 1, layout.q) if (i, j) in together]


def varcorr_frame(structure: RandomEffectsStructure, theta: np.ndarray, sigma: float, residual: bool) -> pd.DataFrame:
    """One row per variance, then per covariance (sdcor = correlation), then the residual."""
    rows: list[tuple[str, str | None, str | None, float, float]] = []
    for layout, cov in zip(structure.terms, term_covariances(structure, theta, sigma)):
        sd = np.sqrt(np.diag(cov))
        for i, name in enumerate(layout.columns):
            rows.append((layout.group, name, None, cov[i, i], sd[i]))
        for i, j in correlated_pairs(layout):
            corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
            rows.append((layout.group, layout.columns[i], layout.columns[j], cov[i, j], corr))
    if residual:
        rows.append(("Residual", None, None, sigma**2, sigma))
    return pd.DataFrame(rows, columns=["group", "var1", "var2", "vcov", "sdcor"])
