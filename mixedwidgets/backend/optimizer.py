"""A bounded derivative-free minimizer (NLopt's BOBYQA) with a record of what it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nlopt
import numpy as np

#: objective value handed to the optimizer where the objective cannot be evaluated
UNEVALUABLE = 1e100

_RESULTS = {
    nlopt.SUCCESS: "success",
    nlopt.STOPVAL_REACHED: "stopping value reached",
    nlopt.FTOL_REACHED: "relative or absolute change in the objective below tolerance",
    nlopt.XTOL_REACHED: "change in the parameters below tolerance",
    nlopt.MAXEVAL_REACHED: "maximum number of evaluations reached",
    nlopt.MAXTIME_REACHED: "time limit reached",
    nlopt.ROUNDOFF_LIMITED: "round-off limited",
}


@dataclass(frozen=True)
class OptSummary:
    """How the optimum was found: the optimizer, start, end, evaluations and return code."""

    optimizer: str
    initial: np.ndarray
    final: np.ndarray
    fmin: float
    evaluations: int
    return_code: str
    ok: bool


def minimize_bounded(
    objective: Callable[[np.ndarray], float],
    x0: np.ndarray,
    lower: np.ndarray,
    *,
    ftol_rel: float = 1e-12,
    ftol_abs: float = 1e-8,
    xtol_abs: float = 1e-10,
    max_evaluations: int = 10_000,
    initial_step: float | np.ndarray = 0.75,
    progress: Callable[[int, float], None] | None = None,
    pure: bool = False,
) -> OptSummary:
    """Minimize `objective` over x ≥ lower with BOBYQA; `progress(evaluations, value)` after each call.

    The objective is evaluated once more at the returned point (GLMM objectives keep the last modes
    as the next start, and the callers rely on them being the optimum's), unless it is `pure` and the
    point is the best one evaluated (an LMM's profiled deviance: one dense factorization saved)."""
    x0 = np.asarray(x0, dtype=float)
    opt = nlopt.opt(nlopt.LN_BOBYQA, len(x0))
    opt.set_lower_bounds(np.asarray(lower, dtype=float))
    opt.set_ftol_rel(ftol_rel)
    opt.set_ftol_abs(ftol_abs)
    opt.set_xtol_abs(xtol_abs)
    opt.set_maxeval(max_evaluations)
    opt.set_initial_step(initial_step)
    state: dict[str, Any] = {"n": 0, "best": np.inf, "x": x0.copy(), "error": None}

    def wrapped(x, grad):
        try:
            value = objective(np.array(x))
            if progress is not None:
                progress(state["n"] + 1, value)
        except BaseException as error:  # incl. KeyboardInterrupt: stop NLopt, re-raise after it returns
            state["error"] = error
            opt.force_stop()
            return 0.0
        if not np.isfinite(value):
            value = UNEVALUABLE
        state["n"] += 1
        if value < state["best"]:
            state["best"], state["x"] = value, np.array(x)
        return float(value)

    opt.set_min_objective(wrapped)
    try:
        final = opt.optimize(x0)
        code = opt.last_optimize_result()
    except nlopt.RoundoffLimited:
        final, code = state["x"], nlopt.ROUNDOFF_LIMITED
    except nlopt.ForcedStop:
        final, code = state["x"], nlopt.FORCED_STOP
    if state["error"] is not None:
        raise state["error"]
    final = np.asarray(final, dtype=float)
    if pure and np.array_equal(final, state["x"]):
        fmin = state["best"]
    else:
        fmin = min(objective(final.copy()), state["best"])
        if fmin == state["best"]:
            final = state["x"]
    ok = code in (nlopt.SUCCESS, nlopt.FTOL_REACHED, nlopt.XTOL_REACHED, nlopt.ROUNDOFF_LIMITED)
    return OptSummary(
        "NLopt BOBYQA",
        x0,
        np.asarray(final),
        float(fmin),
        state["n"],
        _RESULTS.get(code, f"code {code}"),
        bool(ok and fmin < UNEVALUABLE),
    )
