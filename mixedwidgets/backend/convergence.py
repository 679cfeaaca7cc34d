"""Checks after the optimizer stops: boundary (singular) fits, gradient and Hessian by finite differences.

The tests mirror lme4's: a θ on a diagonal within 1e-4 of 0 is a singular fit; at an interior optimum
the gradient scaled by the Hessian's Cholesky factor should be below 0.002, and the Hessian should be
positive definite. Every finding is a sentence in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SINGULAR_TOLERANCE = 1e-4
GRADIENT_TOLERANCE = 2e-3
MAX_PARAMETERS_FOR_HESSIAN = 20


@dataclass(frozen=True)
class ConvergenceReport:
    singular: bool
    converged: bool
    gradient: np.ndarray
    messages: tuple[str, ...] = field(default=())
    hessian: np.ndarray | None = None  # over the parameters not at a bound (kept on request)


def boundary_parameters(theta: np.ndarray, lower: np.ndarray) -> np.ndarray:
    return np.isfinite(lower) & (theta - lower < SINGULAR_TOLERANCE)


def finite_differences(
    f: Callable[[np.ndarray], float], x: np.ndarray, free: np.ndarray, f0: float, h: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient and Hessian of f at x in the free coordinates."""
    idx = np.flatnonzero(free)
    k = len(idx)
    grad, hess = np.zeros(k), np.zeros((k, k))
    step = np.eye(len(x)) * h
    plus = [f(x + step[i]) for i in idx]
    minus = [f(x - step[i]) for i in idx]
    for a, i in enumerate(idx):
        grad[a] = (plus[a] - minus[a]) / (2 * h)
        hess[a, a] = (plus[a] - 2 * f0 + minus[a]) / h**2
        for b in range(a):
            j = idx[b]
            pp, mm = f(x + step[i] + step[j]), f(x - step[i] - step[j])
            hess[a, b] = hess[b, a] = (pp - plus[a] - plus[b] + 2 * f0 - minus[a] - minus[b] + mm) / (2 * h**2)
    return grad, hess


def check_convergence(
    f: Callable[[np.ndarray], float],
    theta: np.ndarray,
    lower: np.ndarray,
    fmin: float,
    optimizer_ok: bool,
    optimizer_message: str,
    names: list[str] | None = None,
    keep_hessian: bool = False,
    step: float = 1e-4,
    factors: np.ndarray | None = None,
) -> ConvergenceReport:
    """Say whether the fit is singular and whether the optimum looks like a proper minimum."""
    free = ~excluded_from_derivatives(theta, lower, factors)
    grad, hess = np.zeros(0), None
    if 0 < free.sum() <= MAX_PARAMETERS_FOR_HESSIAN:
        grad, hess = finite_differences(f, theta, free, fmin, step)
    return judge(theta, lower, grad, hess, optimizer_ok, optimizer_message, names, keep_hessian, factors)


def excluded_from_derivatives(theta: np.ndarray, lower: np.ndarray, factors: np.ndarray | None) -> np.ndarray:
    """Parameters on (or within SINGULAR_TOLERANCE of) their bound, in the engine's or the caller's units;
    the gradient and Hessian are judged over the others only (lme4's checkConv does the same)."""
    return boundary_parameters(theta, lower) | singular_parameters(theta, lower, factors)


def singular_parameters(theta: np.ndarray, lower: np.ndarray, factors: np.ndarray | None) -> np.ndarray:
    """lme4's singular test (θ on a diagonal below 1e-4), on θ in the caller's units (θ · factors)."""
    return boundary_parameters(theta if factors is None else theta * factors, lower)


def judge(
    theta: np.ndarray,
    lower: np.ndarray,
    grad: np.ndarray,
    hess: np.ndarray | None,
    optimizer_ok: bool,
    optimizer_message: str,
    names: list[str] | None = None,
    keep_hessian: bool = False,
    factors: np.ndarray | None = None,
) -> ConvergenceReport:
    """The report from derivatives already computed over the parameters not excluded_from_derivatives."""
    messages = []
    singular_at = singular_parameters(theta, lower, factors)
    singular = bool(singular_at.any())
    if singular:
        which = [names[i] for i in np.flatnonzero(singular_at)] if names else []
        messages.append(
            "Singular fit: some variance components are estimated at (or extremely close to) zero"
            + (f" ({', '.join(which)})" if which else "")
            + ". The random-effects structure may be too rich for these data; consider simplifying it."
        )
    if not optimizer_ok:
        messages.append(f"The optimizer did not report convergence ({optimizer_message}).")
    converged = optimizer_ok
    if hess is not None:
        converged &= _judge_derivatives(grad, hess, messages)
    return ConvergenceReport(singular, bool(converged), grad, tuple(messages), hess if keep_hessian else None)


def scaled_gradient(grad: np.ndarray, hess: np.ndarray) -> np.ndarray | None:
    """L⁻¹g with LL' = H (None unless H is positive definite): ½‖L⁻¹g‖² is the objective's excess over
    the minimum of its quadratic model, whatever the units of the parameters."""
    try:
        return np.linalg.solve(np.linalg.cholesky(hess), grad)
    except np.linalg.LinAlgError:
        return None


def _judge_derivatives(grad: np.ndarray, hess: np.ndarray, messages: list[str]) -> bool:
    if not np.all(np.isfinite(hess)) or not np.all(np.isfinite(grad)):
        messages.append("The objective could not be differentiated numerically at the optimum.")
        return False
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 0:
        messages.append(
            "The Hessian of the objective is not positive definite at the optimum (smallest eigenvalue "
            f"{eig.min():.3g}): the model may be nearly unidentifiable or the optimum a saddle point."
        )
        return False
    scaled = scaled_gradient(grad, hess)
    if scaled is None:
        messages.append("The Hessian of the objective is numerically singular at the optimum.")
        return False
    worst = float(np.max(np.minimum(np.abs(scaled), np.abs(grad))))
    if worst > GRADIENT_TOLERANCE:
        messages.append(
            f"The optimum may not be a minimum: the scaled gradient is {worst:.3g} "
            f"(tolerance {GRADIENT_TOLERANCE}). Try rescaling predictors or a simpler random-effects structure."
        )
        return False
    return True
