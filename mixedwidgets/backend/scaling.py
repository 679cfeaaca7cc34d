"""Random-effect columns on a common scale inside the engine; θ and the random effects back in the caller's units.

A random slope on a predictor measured in hundreds has a relative SD near 0.01 and an intercept–slope
factor entry near 0.01 too, while the intercept's is near 1: the optimizer's trust region (one radius
for all θ), its stopping tolerances and the finite-difference steps of the convergence check are then
wrong by a factor of 100 for some coordinates, and GLMMs break down at lme4's start θ = 1 (a slope SD
of 100 per unit of x overflows exp(η)). Dividing each column of a term's model matrix by its
root-mean-square d puts every θ near 1. With Z = Z_s D, ZΛ = Z_s (DΛ): the engine works with
Λ_s = DΛ, still lower triangular with the same zero bounds on its diagonal, and
θ = θ_s / d[row], b = b_s / d, Var(b) = D⁻¹ Var(b_s) D⁻¹.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .reterms import RandomEffectsStructure


def column_rms(values: np.ndarray) -> np.ndarray:
    """Root-mean-square of each column (1 for an all-zero one): dividing by it puts every coefficient
    on a scale near 1, which the optimizer and the finite differences need (X's columns in GLMMs too)."""
    values = np.asarray(values, dtype=float)
    rms = np.sqrt(np.einsum("ij,ij->j", values, values) / max(values.shape[0], 1))  # no n × p copy
    return np.where(rms > 0, rms, 1.0)


def scaled_terms(design_terms) -> tuple[tuple, tuple[np.ndarray, ...]]:
    """The terms with each column divided by its RMS, and those RMS per term (design order)."""
    terms, scales = [], []
    for term in design_terms:
        values = np.asarray(term.values, dtype=float).reshape(len(term.codes), len(term.columns))
        d = column_rms(values)
        scales.append(d)
        terms.append(term if np.all(d == 1.0) else replace(term, values=values / d))
    return tuple(terms), tuple(scales)


def theta_factors(structure: RandomEffectsStructure, term_scales: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per θ entry (sorted order), the factor taking the engine's θ_s to the caller's θ: 1 / d[row]."""
    out = np.ones(structure.n_theta)
    for layout in structure.terms:
        out[layout.theta_slice] = 1.0 / term_scales[layout.design_position][layout.rows]
    return out


def unscale_ranef(structure: RandomEffectsStructure, term_scales, ranef, ranef_cov) -> tuple[tuple, tuple]:
    """Conditional modes (levels, q) and covariances (levels, q, q) per sorted term, in the caller's units."""
    return unscale_modes(structure, term_scales, ranef), unscale_covariances(structure, term_scales, ranef_cov)


def unscale_modes(structure: RandomEffectsStructure, term_scales, ranef) -> tuple:
    """Conditional modes (levels, q) per sorted term, in the caller's units."""
    return tuple(b / term_scales[layout.design_position] for layout, b in zip(structure.terms, ranef))


def unscale_covariances(structure: RandomEffectsStructure, term_scales, ranef_cov) -> tuple:
    """Conditional covariances (levels, q, q) per sorted term, in the caller's units."""
    out = []
    for layout, cov in zip(structure.terms, ranef_cov):
        d = term_scales[layout.design_position]
        out.append(cov / np.outer(d, d))
    return tuple(out)
