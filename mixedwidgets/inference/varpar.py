"""The linear mixed model's deviance as a function of the variance parameters (θ, σ), and its curvature.

lmerTest's parametrization (`devfun_vp`, `get_covbeta`): the variance parameters are φ = (θ, σ), with
β profiled out at each θ but σ free:

    ML:   D(θ, σ) = log|L_θ|² + r²(θ)/σ² + n log(2πσ²)
    REML: D(θ, σ) = ML + log|R_X(θ)|² − p log(2πσ²)

and the covariance of β̂ is V(θ, σ) = σ² (R_X'R_X)⁻¹. Their asymptotic covariance is A = 2 H⁻¹ with H
the Hessian of D at the estimates. The σ derivatives are closed forms; the θ derivatives of the two
scalars log|L|² (+ log|R_X|²) and r², and of (R_X'R_X)⁻¹, are central differences with one Richardson
step, on the blocked factor (no pass over the rows), so the whole thing costs a few dozen factorizations.

Constants that do not depend on (θ, σ) (log prior weights) are left out, as lmerTest does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la

from ..backend.crossprod import CrossProducts, build_cross_products
from ..backend.factor import factorize
from ..backend.reterms import RandomEffectsStructure, build_structure
from ..backend.threads import single_blas_thread as one_blas_thread
from ..errors import MixedModelError

#: relative step of the central differences in θ (halved once for the Richardson step)
RELATIVE_STEP = 1e-2
#: absolute step floor for θ entries at or near zero
ABSOLUTE_STEP = 1e-3
#: eigenvalues of H below this are treated as zero (lmerTest's tol)
EIGEN_TOLERANCE = 1e-8


@dataclass(frozen=True)
class VarianceProblem:
    """What the deviance of (θ, σ) needs: the cross-products and the random-effects layout."""

    cross_products: CrossProducts
    structure: RandomEffectsStructure
    reml: bool

    @property
    def n(self) -> int:
        return self.cross_products.n

    @property
    def p(self) -> int:
        return self.cross_products.p

    @property
    def residual_dof(self) -> int:
        """n − p for REML, n for ML: the σ-power of the deviance."""
        return self.n - self.p if self.reml else self.n


@dataclass(frozen=True)
class ThetaParts:
    """The pieces of the deviance that depend on θ alone."""

    logdet: float  # log|L|² (+ log|R_X|² for REML)
    pwrss: float  # r²
    unscaled_vcov: np.ndarray  # (R_X'R_X)⁻¹, p × p


def variance_problem(design, reml: bool) -> VarianceProblem:
    """Cross-products of a Gaussian design (weights and offset applied as in the fit)."""
    structure = build_structure(design.terms)
    w = design.weights
    sqrt_w = None if w is None else np.sqrt(np.asarray(w, dtype=float))
    y = design.y if design.offset is None else design.y - design.offset
    cp = build_cross_products(structure, design.terms, design.X, y, sqrt_w)
    return VarianceProblem(cp, structure, bool(reml))


def theta_parts(problem: VarianceProblem, theta: np.ndarray) -> ThetaParts:
    f = factorize(problem.cross_products, problem.structure, np.asarray(theta, dtype=float))
    rx_inv = la.solve_triangular(f.fixed_factor, np.eye(problem.p), lower=True, check_finite=False)
    logdet = f.logdet_random + (f.logdet_fixed if problem.reml else 0.0)
    return ThetaParts(logdet, f.pwrss, rx_inv.T @ rx_inv)


def varpar_deviance(problem: VarianceProblem, varpar: np.ndarray) -> float:
    """lmerTest's `devfun_vp`: the (RE)ML deviance at φ = (θ, σ), β profiled, σ free."""
    theta, sigma = np.asarray(varpar[:-1], dtype=float), float(varpar[-1])
    parts = theta_parts(problem, theta)
    return parts.logdet + parts.pwrss / sigma**2 + problem.residual_dof * np.log(2 * np.pi * sigma**2)


def _steps(theta: np.ndarray) -> np.ndarray:
    return np.maximum(RELATIVE_STEP * np.abs(theta), ABSOLUTE_STEP)


def _theta_derivatives(problem: VarianceProblem, theta: np.ndarray, h: np.ndarray):
    """Central-difference gradient and Hessian of (logdet, r²), and the gradient of (R_X'R_X)⁻¹."""
    k = len(theta)

    def at(*moves):
        point = theta.copy()
        for i, s in moves:
            point[i] += s * h[i]
        parts = theta_parts(problem, point)
        return np.array([parts.logdet, parts.pwrss]), parts.unscaled_vcov

    center, _ = at()
    plus = [at((i, 1)) for i in range(k)]
    minus = [at((i, -1)) for i in range(k)]
    grad = np.stack([(plus[i][0] - minus[i][0]) / (2 * h[i]) for i in range(k)])  # (k, 2)
    jac = np.stack([(plus[i][1] - minus[i][1]) / (2 * h[i]) for i in range(k)])  # (k, p, p)
    hess = np.empty((k, k, 2))
    for i in range(k):
        hess[i, i] = (plus[i][0] - 2 * center + minus[i][0]) / h[i] ** 2
        for j in range(i):
            corners = [at((i, a), (j, b))[0] for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            hess[i, j] = hess[j, i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h[i] * h[j])
    return grad, hess, jac


def _richardson(problem: VarianceProblem, theta: np.ndarray):
    """The θ derivatives with steps h and h/2 combined to cancel the h² error term."""
    h = _steps(theta)
    coarse = _theta_derivatives(problem, theta, h)
    fine = _theta_derivatives(problem, theta, h / 2)
    return tuple((4 * b - a) / 3 for a, b in zip(coarse, fine))


@dataclass(frozen=True)
class VarianceCurvature:
    """The Hessian of D(θ, σ), the covariance A of φ = (θ, σ), and ∂V/∂φ at the estimates."""

    varpar: np.ndarray  # (θ̂, σ̂)
    hessian: np.ndarray  # (k+1, k+1)
    covariance: np.ndarray  # A = 2 H⁺ over the positive eigenvalues (lmerTest)
    vcov_beta: np.ndarray  # V = σ² (R_X'R_X)⁻¹
    vcov_jacobian: np.ndarray  # (k+1, p, p): ∂V/∂φ_i
    notes: tuple[str, ...]  # lmerTest's warnings about negative or zero eigenvalues of H


def variance_curvature(problem: VarianceProblem, theta: np.ndarray, sigma: float) -> VarianceCurvature:
    """Everything Satterthwaite's method needs, at θ̂ and σ̂ (one BLAS thread: the matrices are small)."""
    try:
        with one_blas_thread():
            return _variance_curvature(problem, theta, sigma)
    except (np.linalg.LinAlgError, la.LinAlgError, FloatingPointError) as exc:
        raise MixedModelError(
            "Satterthwaite's df could not be computed: the model's matrices are not positive "
            f"definite near the estimates ({exc}); use ddf='asymptotic'"
        ) from exc


def _variance_curvature(problem: VarianceProblem, theta: np.ndarray, sigma: float) -> VarianceCurvature:
    theta = np.asarray(theta, dtype=float).copy()
    s2 = sigma**2
    grad, hess, jac = _richardson(problem, theta)
    center = theta_parts(problem, theta)
    k = len(theta)
    h = np.empty((k + 1, k + 1))
    h[:k, :k] = hess[:, :, 0] + hess[:, :, 1] / s2
    h[:k, k] = h[k, :k] = -2.0 * grad[:, 1] / sigma**3
    h[k, k] = 6.0 * center.pwrss / sigma**4 - 2.0 * problem.residual_dof / s2
    jacobian = np.concatenate([s2 * jac, (2.0 * sigma * center.unscaled_vcov)[None]], axis=0)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(jacobian))):
        raise MixedModelError(
            "Satterthwaite's df need the curvature of the deviance near the estimates, and the "
            "deviance is not finite there; use ddf='asymptotic'"
        )
    covariance, notes = covariance_from_hessian(h)
    return VarianceCurvature(np.append(theta, sigma), h, covariance, s2 * center.unscaled_vcov, jacobian, notes)


def covariance_from_hessian(hessian: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """2 H⁻¹ restricted to H's positive eigenvalues, with lmerTest's notes on the others."""
    values, vectors = np.linalg.eigh((hessian + hessian.T) / 2)
    negative = values < -EIGEN_TOLERANCE
    positive = values > EIGEN_TOLERANCE
    zero = ~negative & ~positive
    notes = []
    if negative.any():
        notes.append(
            f"the deviance Hessian in (θ, σ) has {negative.sum()} negative eigenvalue(s) "
            f"({', '.join(f'{v:.1e}' for v in values[negative])}): the model may not have converged"
        )
    if zero.any():
        notes.append(
            f"the deviance Hessian in (θ, σ) has {zero.sum()} eigenvalue(s) close to zero "
            f"({', '.join(f'{v:.1e}' for v in values[zero])}): degrees of freedom are unreliable"
        )
    kept = vectors[:, positive]
    return 2.0 * (kept / values[positive]) @ kept.T, tuple(notes)
