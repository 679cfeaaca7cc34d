"""Adaptive Gauss–Hermite quadrature for a GLMM with one scalar random-effect term.

Each group's integral ∫ p(y_g | u) φ(u) du is centred at its conditional mode û_g and scaled by its
conditional SD s_g = 1/L_gg from the PIRLS factor; with one node this is exactly the Laplace value.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import logsumexp

from ..errors import MixedModelError
from .pirls import GlmmProblem, PirlsResult, log_density

MAX_NODES = 100


def require_single_scalar_term(problem: GlmmProblem, nagq: int) -> None:
    terms = problem.structure.terms
    if nagq > MAX_NODES:
        raise MixedModelError(f"nagq = {nagq} is more quadrature nodes than this engine allows ({MAX_NODES})")
    if len(terms) != 1 or terms[0].q != 1:
        shape = ", ".join(f"({' + '.join(t.columns)} | {t.group})" for t in terms)
        raise MixedModelError(
            f"nagq > 1 (adaptive Gauss-Hermite quadrature) needs a single scalar random-effect term such as "
            f"(1 | g); this model has {shape}. Use nagq = 1 (the Laplace approximation) for it."
        )


def agq_deviance(problem: GlmmProblem, theta: np.ndarray, beta: np.ndarray, modes: PirlsResult, nagq: int) -> float:
    """−2 log L by adaptive Gauss–Hermite quadrature with `nagq` nodes per group."""
    layout = problem.structure.terms[0]
    term = problem.terms[layout.design_position]
    lam = theta[0]
    z = np.asarray(term.values, dtype=float).reshape(-1)
    codes = term.codes
    u_hat = modes.u
    scale = 1.0 / modes.factor.chol0[:, 0, 0]
    nodes, weights = hermegauss(nagq)
    fixed = problem.offset + problem.X @ beta
    values = np.empty((layout.n_levels, nagq))
    for k, x in enumerate(nodes):
        u = u_hat + scale * x
        mu = problem.family.link.inverse(fixed + z * lam * u[codes])
        log_p = log_density(problem, mu)
        per_group = np.bincount(codes, weights=log_p, minlength=layout.n_levels)
        values[:, k] = per_group - 0.5 * u**2 + 0.5 * x**2 + np.log(weights[k])
    log_integral = np.log(scale) + logsumexp(values, axis=1) - 0.5 * np.log(2.0 * np.pi)
    return float(-2.0 * log_integral.sum())
