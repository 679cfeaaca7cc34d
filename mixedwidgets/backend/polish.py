"""The last steps to the optimum: Newton steps with the finite-difference Hessian, then lme4's checks.

BOBYQA stops when its trust region has shrunk below the tolerances, which on a flat or badly scaled
objective can be well before the minimum. The convergence check computes the gradient g and Hessian H
by central differences anyway; a Newton step from them (over the parameters not on a bound, projected
back onto the bounds, halved while the objective does not decrease) finishes the job in one or two
steps where the optimizer stopped early, and is skipped when ½‖L⁻¹g‖² (LL' = H) already shows the
objective within POLISH_BELOW² / 2 of its minimum. Only steps that lower the objective are kept.

A θ stopped on its bound (a singular fit) is checked from the side the derivatives do not see: if
moving it into the interior lowers the objective, the optimizer restarts from there (boundary_escape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .convergence import (
    GRADIENT_TOLERANCE,
    MAX_PARAMETERS_FOR_HESSIAN,
    ConvergenceReport,
    excluded_from_derivatives,
    finite_differences,
    judge,
    scaled_gradient,
)
from .optimizer import OptSummary

#: polish while the largest component of L⁻¹g exceeds this (half the warning threshold, 2e-3): the
#: objective is then within ~5e-7 per parameter of the minimum of its quadratic model, and a fit that
#: BOBYQA brought there costs no more than the check
POLISH_BELOW = 1e-3
MAX_NEWTON_STEPS = 10
MAX_HALVINGS = 6
#: distance from a bound (engine units of θ, where θ is near 1) within which a step is also tried on it
SNAP_TO_BOUND = 0.05
#: after a Newton step shorter than this in ‖L'δ‖ (≈ ‖L⁻¹g‖, a small fraction of a standard error)
#: the Hessian barely changes: only the gradient is evaluated again (2m evaluations instead of m(m+1))
REUSE_HESSIAN_BELOW = 0.05


def polish_and_check(
    objective: Callable[[np.ndarray], float],
    opt: OptSummary,
    lower: np.ndarray,
    names: list[str] | None = None,
    *,
    keep_hessian: bool = False,
    step: float = 1e-4,
    factors: np.ndarray | None = None,
    progress: Callable[[int, float], None] | None = None,
    restart: Callable[[np.ndarray, int], OptSummary] | None = None,
    column_ids: np.ndarray | None = None,
    fine_restart: Callable[[np.ndarray, int], OptSummary] | None = None,
    polish_below: float = POLISH_BELOW,
) -> tuple[OptSummary, ConvergenceReport]:
    """Newton-polish opt.final, then judge it; the OptSummary counts the extra evaluations.

    With `restart(x0, evaluations so far)` (the optimizer again from x0) and `column_ids` (per
    parameter, which column of which T it belongs to, −1 for others): a parameter stopped on its
    bound from which the objective falls when it moves into the interior (or when its column of T
    changes sign, the same covariance) is not an optimum; the optimizer restarts from the better point
    and the result is kept if its objective is lower. With `fine_restart` (the optimizer with a small
    trust region and tight tolerances), a point the Newton steps leave with a gradient the check would
    doubt (a curved valley, a boundary optimum approached along it) is optimized once more.
    `polish_below` replaces POLISH_BELOW where evaluations are cheap (an LMM from its cross-products).
    """
    polished = _newton_polish(objective, opt, lower, step, factors, progress, polish_below)
    if restart is not None and column_ids is not None:
        counted = _Counted(objective, polished[0].evaluations, progress)
        escape = boundary_escape(counted, polished[0].final, polished[0].fmin, lower, factors, column_ids)
        polished = _better(
            polished, counted.evaluations, escape, restart, objective, lower, step, factors, progress, polish_below
        )
    if fine_restart is not None and _doubtful(*polished[1:]):
        polished = _better(
            polished,
            polished[0].evaluations,
            polished[0].final,
            fine_restart,
            objective,
            lower,
            step,
            factors,
            progress,
            polish_below,
        )
    opt, grad, hess = polished
    return opt, judge(opt.final, lower, grad, hess, opt.ok, opt.return_code, names, keep_hessian, factors)


def _better(polished, evaluations, start, optimizer, objective, lower, step, factors, progress, polish_below):
    """The polished result of optimizer(start) if its objective is lower, else `polished` (with the
    evaluations spent counted either way)."""
    if start is None:
        return replace(polished[0], evaluations=evaluations), *polished[1:]
    again = _newton_polish(objective, optimizer(start, evaluations), lower, step, factors, progress, polish_below)
    if again[0].fmin < polished[0].fmin:
        return again
    return replace(polished[0], evaluations=again[0].evaluations), *polished[1:]


def _doubtful(grad: np.ndarray, hess: np.ndarray | None) -> bool:
    decrement = _newton_decrement(grad, hess)
    return decrement is None or decrement > GRADIENT_TOLERANCE


def _newton_polish(objective, opt, lower, step, factors, progress, polish_below=POLISH_BELOW):
    """(opt moved by Newton steps, gradient, Hessian at its final point over the free parameters)."""
    counted = _Counted(objective, opt.evaluations, progress)
    x, fx = opt.final.copy(), opt.fmin
    grad, hess = np.zeros(0), None
    free = ~excluded_from_derivatives(x, lower, factors)
    if 0 < free.sum() <= MAX_PARAMETERS_FOR_HESSIAN:
        grad, hess = finite_differences(counted, x, free, fx, step)
    for _ in range(MAX_NEWTON_STEPS):
        decrement = _newton_decrement(grad, hess)
        if decrement is not None and decrement <= polish_below:
            break
        moved = _newton_step(counted, x, fx, free, grad, hess, lower)
        if moved is None:
            break
        x, fx = moved
        now_free = ~excluded_from_derivatives(x, lower, factors)
        subset = not np.any(now_free & ~free)  # no parameter left a bound (some may have reached one)
        kept = now_free[free]  # rows of the old Hessian still free
        free = now_free
        if not 0 < free.sum() <= MAX_PARAMETERS_FOR_HESSIAN:
            grad, hess = np.zeros(0), None
            break
        if subset and decrement is not None and decrement < REUSE_HESSIAN_BELOW:
            hess = hess[np.ix_(kept, kept)]
            grad = central_gradient(counted, x, free, fx, step)
        else:
            grad, hess = finite_differences(counted, x, free, fx, step)
    return replace(opt, final=x, fmin=float(fx), evaluations=counted.evaluations), grad, hess


#: trial moves off a bound, in the engine's (scaled) units of θ
ESCAPE_STEPS = (1e-3, 3e-2)


def boundary_escape(
    f, x: np.ndarray, fx: float, lower: np.ndarray, factors: np.ndarray | None, column_ids: np.ndarray
) -> np.ndarray | None:
    """The best point below fx found by moving each bound parameter into the interior (θ_i = +δ, or
    θ_i = +δ with the rest of its column of T negated, which is θ_i = −δ); None if no move lowers f."""
    at_bound = np.flatnonzero(excluded_from_derivatives(x, lower, factors) & np.isfinite(lower))
    best, best_value = None, fx - 1e-10 * max(abs(fx), 1.0)
    for i in at_bound:
        same_column = (column_ids == column_ids[i]) & (np.arange(len(x)) != i)
        for delta in ESCAPE_STEPS:
            for flip in (False, True) if same_column.any() else (False,):
                trial = x.copy()
                trial[i] = lower[i] + delta
                if flip:
                    trial[same_column] = -trial[same_column]
                value = f(trial)
                if np.isfinite(value) and value < best_value:
                    best, best_value = trial, value
    return best


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
    """A (halved) Newton step on the free coordinates, projected onto the bounds; None if none decreases f.

    A bounded θ that the step moves towards its bound, by a quarter of the way or more or to within
    SNAP_TO_BOUND of it, is also tried on the bound: at a boundary optimum the objective is often flat
    to fourth order there (f(θ) = f(−θ) on the last diagonal of T), where Newton steps only creep
    towards it (a third of the way per step)."""
    vals, vecs = np.linalg.eigh(hess)
    floor = 1e-8 * max(float(np.abs(vals).max()), 1e-12)
    direction = -(vecs / np.maximum(np.abs(vals), floor)) @ (vecs.T @ grad)  # H modified to be positive
    idx = np.flatnonzero(free)
    best, best_value = None, fx
    t = 1.0
    for _ in range(MAX_HALVINGS):
        trial = x.copy()
        trial[idx] = np.maximum(x[idx] + t * direction, lower[idx])
        candidates = [trial]
        gap = x[idx] - lower[idx]
        towards = (direction < 0) & np.isfinite(lower[idx])
        near = idx[towards & ((trial[idx] - lower[idx] < SNAP_TO_BOUND) | (-t * direction >= gap / 4))]
        if near.size:
            snapped = trial.copy()
            snapped[near] = lower[near]
            candidates.append(snapped)
        for candidate in candidates:
            value = f(candidate)
            if np.isfinite(value) and value < best_value:
                best, best_value = candidate, value
        if best is not None:
            return best, best_value
        t /= 2.0
    return None
