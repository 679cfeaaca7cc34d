"""The end of the optimization: Newton polish, escape from a bound, lme4's checks; random-effect column scaling."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.backend.convergence import check_convergence
from mixedwidgets.backend.optimizer import OptSummary
from mixedwidgets.backend.polish import POLISH_BELOW, boundary_escape, polish_and_check


def summary_at(x: np.ndarray, f) -> OptSummary:
    return OptSummary("test", x.copy(), x.copy(), f(x), 0, "stopped early", True)


def rosenbrock_like(x: np.ndarray) -> float:
    return float(10 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2 + 0.5 * (x[2] - 0.3) ** 2)


def test_polish_finishes_what_the_optimizer_left():
    start = np.array([0.9, 0.8, 0.31])  # objective ~0.02 above the minimum at (1, 1, 0.3)
    lower = np.array([0.0, -np.inf, -np.inf])
    assert not check_convergence(rosenbrock_like, start, lower, rosenbrock_like(start), True, "").converged
    opt, report = polish_and_check(rosenbrock_like, summary_at(start, rosenbrock_like), lower)
    assert report.converged, report.messages
    assert opt.fmin < POLISH_BELOW**2  # ½‖L⁻¹g‖² with ‖L⁻¹g‖∞ ≤ POLISH_BELOW, 3 parameters
    assert np.allclose(opt.final, [1.0, 1.0, 0.3], atol=1e-3)
    assert opt.evaluations > 0


def test_polish_keeps_a_point_already_at_the_optimum():
    at = np.array([1.0, 1.0, 0.3])
    opt, report = polish_and_check(rosenbrock_like, summary_at(at, rosenbrock_like), np.full(3, -np.inf))
    assert report.converged and np.array_equal(opt.final, at)
    assert np.max(np.abs(report.gradient)) < POLISH_BELOW


def test_a_parameter_on_its_bound_is_not_judged_by_its_gradient():
    # minimum at x0 = -1 with the bound 0: the optimum is x0 = 0, where the derivative is 2 (not 0)
    def f(x):
        return float((x[0] + 1) ** 2 + (x[1] - 2) ** 2)

    at = np.array([0.0, 2.0])
    opt, report = polish_and_check(f, summary_at(at, f), np.array([0.0, -np.inf]), ["a", "b"])
    assert report.converged and report.singular and np.array_equal(opt.final, at)
    assert not any("gradient" in m for m in report.messages)


def test_escape_from_a_bound_when_the_interior_is_lower():
    # f has a local minimum on the bound x0 = 0 (derivative +1.2 there, 0 in x1) and lower values
    # inside, reached when the column holding x0 and x1 changes sign (the same covariance as x0 = -δ)
    def f(x):
        return float((x[0] * x[1] - 0.5) ** 2 + 0.2 * x[0] + 0.1 * (x[1] ** 2 - 1) ** 2)

    at = np.array([0.0, -1.0])
    escape = boundary_escape(f, at, f(at), np.array([0.0, -np.inf]), None, np.array([0, 0]))
    assert escape is not None and escape[0] > 0 and escape[1] > 0
    assert f(escape) < f(at)


def test_no_escape_from_a_true_boundary_optimum():
    def f(x):
        return float((x[0] + 1) ** 2 + x[1] ** 2)

    at = np.array([0.0, 0.0])
    assert boundary_escape(f, at, f(at), np.array([0.0, -np.inf]), None, np.array([0, 0])) is None


def slope_data(seed: int = 3, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 30, 900)
    x = rng.normal(size=900)
    b0, b1 = rng.normal(0, 0.8, 30), rng.normal(0, 0.4, 30)
    y = 1 + b0[g] + (0.5 + b1[g]) * x + rng.normal(0, 1, 900)
    return pd.DataFrame({"y": y, "x": x * scale, "g": [f"g{k}" for k in g]})


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_results_in_the_callers_units_whatever_the_scale(family):
    base = slope_data()
    if family == "poisson":
        base["y"] = np.random.default_rng(5).poisson(np.exp(0.3 * (base["y"] - base["y"].mean())))
    fits = {}
    for scale in (1.0, 100.0):
        data = base.assign(x=base["x"] * scale)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fits[scale] = mw.fit("y ~ x + (1 + x | g)", data, reml=False, family=family)
    small, large = fits[1.0], fits[100.0]
    assert large.objective == pytest.approx(small.objective, abs=1e-6 if family == "gaussian" else 1e-4)
    # θ = (intercept, intercept-slope, slope): the slope row of T is divided by the scale
    assert np.allclose(large.theta * [1, 100, 100], small.theta, rtol=1e-3, atol=1e-5)
    r_small, r_large = small.ranef(), large.ranef()
    slope = r_small["term"] == "x"
    assert np.allclose(r_large.loc[slope, "condval"] * 100, r_small.loc[slope, "condval"], rtol=1e-3, atol=1e-5)
    assert np.allclose(r_large.loc[slope, "condsd"] * 100, r_small.loc[slope, "condsd"], rtol=1e-3, atol=1e-5)
    assert np.allclose(r_large.loc[~slope, "condval"], r_small.loc[~slope, "condval"], rtol=1e-3, atol=1e-5)


def test_caller_data_untouched_by_the_scaling():
    data = slope_data(scale=100.0)
    before = data.copy()
    mw.fit("y ~ x + (1 + x | g)", data)
    pd.testing.assert_frame_equal(data, before)


def test_a_boundary_optimum_flat_to_fourth_order_is_reached():
    # f(θ) = f(−θ) and quartic at the bound: Newton steps alone shrink θ0 by a third per step
    def f(x):
        return float(1000 * x[0] ** 4 + (x[1] - 1) ** 2)

    start = np.array([0.06, 1.0])
    opt, report = polish_and_check(f, summary_at(start, f), np.array([0.0, -np.inf]), ["a", "b"])
    assert opt.final[0] == 0.0 and report.singular and report.converged
