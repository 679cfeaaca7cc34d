"""The last steps to the optimum: Newton steps with the finite-difference Hessian, then lme4's checks.

BOBYQA stops when its trust region has shrunk below the tolerances, which on a flat or badly scaled
objective can be well before the minimum. The convergence check computes the gradient g and Hessian H
by central differences anyway; a Newton step from them (over the parameters not on a bound, projected
back onto the bounds, halved while the objective does not decrease) finishes the job in one or two
steps where the optimizer stopped early, and is skipped when ½‖L⁻¹g‖² (LL' = H) already shows the
objective within POLISH_BELOW² / 2 of its minimum. Only steps that lower the objective are kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from .convergence import (MAX_PARAMETERS_FOR_HESSIAN, ConvergenceReport, excluded_from_derivatives,
                          finite_differences, judge, scaled_gradient)
from .optimizer import OptSummary

#: polish while the largest component of L⁻¹g exceeds this (half the warning threshold, 2e-3): the
#: objective is then within ~5e-7 per parameter of the minimum of its quadratic model, and a fit that
#: BOBYQA brought there costs no more than the check
POLISH_BELOW = 1e-3
MAX_NEWTON_STEPS = 4
MAX_HALVINGS = 4
#: after a Newton step shorter than this in ‖L'δ‖ (≈ ‖L⁻¹g‖, a small fraction of a standard error)
#: the Hessian barely changes: only the gradient is evaluated again (2m evaluations instead of m(m+1))
REUSE_HESSIAN_BELOW = 0.05


def polish_and_check(objective: Callable[[np.ndarray], float], opt: OptSummary, lower: np.ndarray,
                     names: list[str] | None = None, *, keep_hessian: bool = False, step: float = 1e-4,
                     factors: np.ndarray | None = None,
                     progress: Callable[[int, float], None] | None = None) -> tuple[OptSummary, ConvergenceReport]:
    """Newton-polish opt.final, then judge it; the OptSummary counts the extra evaluations."""
    counted = _Counted(objective, opt.evaluations, progress)
    x, fx = opt.final.copy(), opt.fmin
    grad, hess = np.zeros(0), None
    free = ~excluded_from_derivatives(x, lower, factors)
    if 0 < free.sum() <= MAX_PARAMETERS_FOR_HESSIAN:
        grad, hess = finite_differences(counted, x, free, fx, step)
    for _ in range(MAX_NEWTON_STEPS):
        decrement = _newton_decrement(grad, hess)
        if decrement is not None and decrement <= POLISH_BELOW:
            break
        moved = _newton_step(counted, x, fx, free, grad, hess, lower)
        if moved is None:
            break
        x, fx = moved
        same_free = np.array_equal(free, ~excluded_from_derivatives(x, lower, factors))
        free = ~excluded_from_derivatives(x, lower, factors)
        if not 0 < free.sum() <= MAX_PARAMETERS_FOR_HESSIAN:
            grad, hess = np.zeros(0), None
            break
        if same_free and decrement is not None and decrement < REUSE_HESSIAN_BELOW:
            grad = central_gradient(counted, x, free, fx, step)
        else:
            grad, hess = finite_differences(counted, x, free, fx, step)
    opt = replace(opt, final=x, fmin=float(fx), evaluations=counted.evaluations)
    report = judge(x, lower, grad, hess, opt.ok, opt.return_code, names, keep_hessian, factors)
    return opt, report


class _Counted:
    """The objective, counting evaluations (and reporting them to the progress callback)."""

    def __init__(self, objective, evaluations, progress):
        self.objective, self.evaluations, self.progress = objective, evaluations, progress

    def __call__(self, x: np.ndarray) -> float:
        value = self.objective(x)
        self.evaluations += 1
        if self.progress is not None:
            self.progress(self.evaluations, value)
        return value


def _newton_decrement(grad: np.ndarray, hess: np.ndarray | None) -> float | None:
    """max |L⁻¹g| (0 without derivatives to judge; None where H is not positive definite)."""
    if hess is None or not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
        return 0.0
    scaled = scaled_gradient(grad, hess)
    return None if scaled is None else float(np.max(np.abs(scaled), initial=0.0))


def central_gradient(f, x: np.ndarray, free: np.ndarray, f0: float, h: float) -> np.ndarray:
    """Central-difference gradient of f at x in the free coordinates (2 evaluations each)."""
    out = []
    for i in np.flatnonzero(free):
        e = np.zeros(len(x))
        e[i] = h
        out.append((f(x + e) - f(x - e)) / (2 * h))
    return np.array(out)


def _newton_step(f, x, fx, free, grad, hess, lower) -> tuple[np.ndarray, float] | None:
    """A (halved) Newton step on the free coordinates, projected onto the bounds; None if none decreases f."""
    vals, vecs = np.linalg.eigh(hess)
    floor = 1e-8 * max(float(np.abs(vals).max()), 1e-12)
    direction = -(vecs / np.maximum(np.abs(vals), floor)) @ (vecs.T @ grad)   # H modified to be positive
    idx = np.flatnonzero(free)
    t = 1.0
    for _ in range(MAX_HALVINGS):
        trial = x.copy()
        trial[idx] = np.maximum(x[idx] + t * direction, lower[idx])
        value = f(trial)
        if np.isfinite(value) and value < fx:
            return trial, value
        t /= 2.0
    return None
