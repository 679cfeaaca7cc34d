"""Population-averaged (marginal) quantities of a GLMM.

For one row, the random part z'b is a sum of independent normal terms, so it is itself normal with
variance v = Σ_k z_k' Σ_k z_k. The marginal mean E_b[g⁻¹(η + z'b)] is therefore a one-dimensional
integral, done here by Gauss–Hermite quadrature with many nodes, for any random-effects structure.
Marginal coefficients regress g(marginal mean) on X (Hedeker et al. 2018, as GLMMadaptive does);
their standard errors come from the delta method over (θ, β) with the Hessian-based covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.polynomial.hermite_e import hermegauss

from ..errors import MixedModelError

NODES = 40
#: the links of probabilities (binomial models), whose marginal means are clipped inside (0, 1)
PROBABILITY_LINKS = ("logit", "probit", "cloglog")
_X, _W = hermegauss(NODES)
_W = _W / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class RowsForMarginal:
    """What the marginal mean of a set of rows needs: X, offset and each term's predictor values."""

    X: np.ndarray
    offset: np.ndarray
    values: tuple[np.ndarray, ...]  # per sorted term, (n, q)


def random_part_variance(rows: RowsForMarginal, covariances) -> np.ndarray:
    """v_i = Σ_k z_ik' Σ_k z_ik for each row."""
    v = np.zeros(rows.X.shape[0])
    for z, cov in zip(rows.values, covariances):
        v += np.einsum("ia,ab,ib->i", z, cov, z)
    return v


def marginal_mean(eta: np.ndarray, variance: np.ndarray, link) -> np.ndarray:
    """E[g⁻¹(η + √v·x)], x ~ N(0, 1), by Gauss–Hermite quadrature."""
    spread = np.sqrt(np.maximum(variance, 0.0))
    return link.inverse(eta[:, None] + spread[:, None] * _X[None, :]) @ _W


def marginal_means_at(rows: RowsForMarginal, structure, link, theta, beta) -> np.ndarray:
    covariances = [t @ t.T for t in structure.factors(theta)]
    return marginal_mean(rows.X @ beta + rows.offset, random_part_variance(rows, covariances), link)


def marginal_coefficients_at(rows: RowsForMarginal, structure, link, theta, beta) -> np.ndarray:
    mean = marginal_means_at(rows, structure, link, theta, beta)
    if link.name in PROBABILITY_LINKS:  # a mean of exactly 0 or 1 has no finite logit/probit/cloglog
        mean = np.clip(mean, 1e-12, 1 - 1e-12)
    target = link.link(mean) - rows.offset
    return np.linalg.lstsq(rows.X, target, rcond=None)[0]


def delta_method_se(function, fit, step: float = 1e-5) -> np.ndarray:
    """Standard errors of function(θ, β) from the covariance of the free parameters (Jacobian by differences)."""
    if fit.parameter_cov is None:
        raise MixedModelError(
            "no usable covariance of (θ, β) for this fit (the Hessian was not positive "
            "definite); population-averaged standard errors are not available"
        )
    k = len(fit.theta)
    params = np.concatenate([fit.theta, fit.beta])
    free = np.flatnonzero(fit.free_parameters)
    centre = np.asarray(function(params[:k], params[k:]), dtype=float)
    jac = np.empty((centre.size, free.size))
    for col, i in enumerate(free):
        h = step * max(1.0, abs(params[i]))
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        jac[:, col] = (np.ravel(function(up[:k], up[k:])) - np.ravel(function(down[:k], down[k:]))) / (2 * h)
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, fit.parameter_cov, jac), 0.0))


def rows_of_design(design, structure) -> RowsForMarginal:
    n = design.X.shape[0]
    offset = np.zeros(n) if design.offset is None else np.asarray(design.offset, dtype=float)
    values = tuple(
        np.asarray(design.terms[t.design_position].values, dtype=float).reshape(n, t.q) for t in structure.terms
    )
    return RowsForMarginal(np.asarray(design.X, dtype=float), offset, values)


def rows_of_newdata(design, structure, newdata: pd.DataFrame) -> RowsForMarginal:
    X, _, _, offset = design.model_matrices(newdata, random=False)
    encodings = design.encoding.terms
    values = tuple(
        np.asarray(encodings[t.design_position].values_for(newdata), dtype=float).reshape(len(X), t.q)
        for t in structure.terms
    )
    return RowsForMarginal(np.asarray(X, dtype=float), np.zeros(len(X)) if offset is None else offset, values)
