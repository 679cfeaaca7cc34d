"""The GLMM fits' own wiring, checked by value: the progress callback and the R_X covariance.

The progress callback must see every evaluation of both stages (and of the polish) once, numbered 1, 2, …,
with the objective's value (its smallest value is the fit's −2 log L); the last number is stage one's
evaluations plus the fit's count. `_rx_vcov` (the whitening of stage two and the fallback covariance of β)
must be (R_X R_X')⁻¹ of the factor at the modes, computed here with a dense inverse.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from golden import all_cases, fit_case
from scipy import stats
from test_glmm_edges import _frame

from mixedwidgets.backend import dispersion, glmm
from mixedwidgets.backend.family import get_family
from mixedwidgets.backend.pirls import log_density, log_density_kernel, pirls
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula

CASES = [
    ("cbind(s, f) ~ x + (1 | g)", "binomial", glmm.fit_glmm),
    ("c ~ x + (1 + x | h) + (1 | g)", "poisson", glmm.fit_glmm),
    ("c ~ x + (1 | g)", "negative_binomial", dispersion.fit_glmm_dispersion),
]


@pytest.mark.parametrize(("formula", "family", "fit"), CASES)
def test_progress_sees_every_evaluation_once_in_order(formula, family, fit):
    design = build_design(parse_formula(formula), _frame(), family=family)
    calls: list[tuple[int, float]] = []
    result = fit(design, get_family(family), progress=lambda n, value: calls.append((n, value)))
    assert [n for n, _ in calls] == list(range(1, len(calls) + 1))
    assert min(v for _, v in calls) == pytest.approx(result.objective, abs=1e-6)
    assert all(np.isfinite(v) for _, v in calls[:5])
    quiet = fit(design, get_family(family))
    assert quiet.objective == result.objective
    np.testing.assert_array_equal(quiet.beta, result.beta)
    if fit is glmm.fit_glmm:  # the fit's count is stage two and the polish; stage one's come first
        assert len(calls) > result.optsummary.evaluations > 0


@pytest.mark.parametrize("module", [glmm, dispersion])
def test_rx_covariance_is_the_inverse_of_rx_rx_transposed(module):
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g) + (1 + x | h)"), _frame(), family="binomial")
    problem = glmm.make_problem(design, get_family("binomial"), scale_columns=True)
    s = problem.structure
    theta = np.array([0.7, 0.4, -0.2, 0.3])[: s.n_theta]
    modes = pirls(problem, theta, glmm.starting_beta(problem), np.zeros(s.q_total), update_beta=True)
    rx = modes.factor.fixed_factor
    assert rx.shape == (2, 2) and abs(rx[0, 1]) == 0.0 and abs(rx[1, 0]) > 1e-3  # lower, with a coupling
    np.testing.assert_allclose(module._rx_vcov(modes), np.linalg.inv(rx @ rx.T), rtol=1e-12)


@pytest.mark.parametrize("random", ["(1 | g) + (1 | h)", "(1 + x | g)"])
def test_quadrature_with_two_nodes_needs_a_single_scalar_term(random):
    design = build_design(parse_formula(f"cbind(s, f) ~ x + {random}"), _frame(), family="binomial")
    with pytest.raises(MixedModelError, match="single scalar random-effect term"):
        glmm.fit_glmm(design, get_family("binomial"), nagq=2)


def test_a_singular_glmm_names_the_parameter_on_its_bound():
    frame = _frame()
    frame["k"] = np.random.default_rng(1).integers(0, 6, len(frame)).astype(str)  # no effect of k
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g) + (1 | k)"), frame, family="binomial")
    fit = glmm.fit_glmm(design, get_family("binomial"))
    assert fit.theta[1] == 0.0 and fit.theta[0] > 0.5
    assert fit.convergence.singular and fit.convergence.converged
    assert "(k:(Intercept))" in fit.convergence.messages[0]
    # β's covariance still comes from the Hessian (over the free parameters: θ_k on its bound is left out)
    assert fit.vcov_source == "hessian" and fit.free_parameters.tolist() == [True, False, True, True]


def _spy_on_stage_two(monkeypatch, fail_first_check: bool):
    """Record every stage-two run's (start, steps, evaluations before it); optionally make the first
    convergence check report 'not converged' (BOBYQA stopping early on a flat stretch) to force the restart."""
    runs, checks = [], []
    real_stage, real_check = glmm._stage_two, glmm.polish_and_check

    def stage_two(objective, x0, whitening, lower, k, tracker, steps, evaluations=0):
        runs.append((np.array(x0, copy=True), tuple(steps), evaluations))
        return real_stage(objective, x0, whitening, lower, k, tracker, steps, evaluations=evaluations)

    def check(*args, **kwargs):
        opt, report = real_check(*args, **kwargs)
        checks.append(opt)
        if fail_first_check and len(checks) == 1:
            report = dataclasses.replace(report, converged=False)
        return opt, report

    monkeypatch.setattr(glmm, "_stage_two", stage_two)
    monkeypatch.setattr(glmm, "polish_and_check", check)
    return runs, checks


def test_a_converged_glmm_runs_stage_two_once(monkeypatch):
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g)"), _frame(), family="binomial")
    runs, checks = _spy_on_stage_two(monkeypatch, fail_first_check=False)
    fit = glmm.fit_glmm(design, get_family("binomial"))
    assert fit.convergence.converged and len(runs) == 1 and len(checks) == 1


def test_the_restart_after_an_unconverged_check_starts_where_stage_two_stopped(monkeypatch):
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g)"), _frame(), family="binomial")
    plain = glmm.fit_glmm(design, get_family("binomial"))
    runs, checks = _spy_on_stage_two(monkeypatch, fail_first_check=True)
    calls: list[tuple[int, float]] = []
    fit = glmm.fit_glmm(design, get_family("binomial"), progress=lambda n, v: calls.append((n, v)))
    assert len(runs) == 2 and len(checks) == 2
    (_, steps1, before1), (start2, steps2, before2) = runs
    assert before1 == 0 and steps1 == glmm.WHITENED_STEP
    np.testing.assert_array_equal(start2, checks[0].final)  # from the polished point of the first run
    assert before2 == checks[0].evaluations > 0
    np.testing.assert_allclose(steps2, np.asarray(glmm.WHITENED_STEP) / 10, rtol=1e-15)
    # the second check's verdict and Hessian are the fit's; the estimates are the plain fit's
    assert fit.convergence.converged and fit.vcov_source == "hessian"
    assert fit.optsummary.evaluations > checks[0].evaluations
    assert fit.objective == pytest.approx(plain.objective, abs=1e-6)
    np.testing.assert_allclose(fit.beta, plain.beta, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fit.vcov, plain.vcov, rtol=1e-3)
    assert [n for n, _ in calls] == list(range(1, len(calls) + 1))


def test_estimates_and_their_covariance_follow_the_units_of_a_slope():
    """x·10 is the same model: β_x, the slope's θ entries (rows of T for x) and their covariances scale by
    1/10 (1/100 for variances), while the engine's scaled problem is the same; parameter_cov's β block is
    the covariance of β, and the optimizer's record (start and end) is in the caller's units too."""
    rng = np.random.default_rng(5)
    g, x = rng.integers(0, 20, 400), rng.normal(size=400)
    eta = 0.3 + 0.5 * x + rng.normal(scale=0.8, size=20)[g] + rng.normal(scale=0.6, size=20)[g] * x
    trials = rng.integers(1, 6, size=400)
    s = rng.binomial(trials, 1 / (1 + np.exp(-eta)))
    frame = pd.DataFrame({"x": x, "g": g.astype(str), "s": s, "f": trials - s})
    fits = []
    for factor in (1.0, 10.0):
        design = build_design(
            parse_formula("cbind(s, f) ~ x + (1 + x | g)"), frame.assign(x=frame["x"] * factor), family="binomial"
        )
        fits.append(glmm.fit_glmm(design, get_family("binomial")))
    plain, scaled = fits
    assert plain.convergence.converged and not plain.convergence.singular
    ratio = np.array([1.0, 0.1, 0.1, 1.0, 0.1])  # θ: (intercept, slope–intercept, slope); β: (intercept, x)
    np.testing.assert_allclose(
        np.concatenate([scaled.theta, scaled.beta]), np.concatenate([plain.theta, plain.beta]) * ratio, rtol=1e-4
    )
    for fit in fits:
        np.testing.assert_allclose(fit.optsummary.final, np.concatenate([fit.theta, fit.beta]), rtol=1e-12)
        assert fit.vcov_source == "hessian" and fit.free_parameters.all()
        np.testing.assert_allclose(fit.parameter_cov[3:, 3:], fit.vcov, rtol=1e-10)
    np.testing.assert_allclose(scaled.optsummary.initial, plain.optsummary.initial * ratio, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(scaled.parameter_cov, plain.parameter_cov * np.outer(ratio, ratio), rtol=1e-3)
    # η at the modes: β0 + β1·x + b_g0 + b_g1·x (levels in sorted order, as the design's)
    codes = frame["g"].astype("category").cat.codes.to_numpy()
    b, x = scaled.ranef[0], frame["x"].to_numpy() * 10.0
    eta = scaled.beta[0] + scaled.beta[1] * x + b[codes, 0] + b[codes, 1] * x
    np.testing.assert_allclose(scaled.eta, eta, rtol=1e-8, atol=1e-10)


def test_an_unscaled_problem_reaches_the_scaled_fits_estimates():
    # make_problem without column scaling (term_scales None): the parameter factors are then 1 for θ
    design = build_design(parse_formula("c ~ x + (1 + x | h) + (1 | g)"), _frame(), family="poisson")
    family = get_family("poisson")
    scaled = glmm.fit_glmm(design, family)
    problem = glmm.make_problem(design, family, scale_columns=False)
    assert problem.term_scales is None
    unscaled = glmm.fit_glmm_problem(problem, glmm.starting_beta(problem))
    assert unscaled.objective == pytest.approx(scaled.objective, abs=1e-6)
    np.testing.assert_allclose(unscaled.beta, scaled.beta, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(unscaled.optsummary.final, np.concatenate([unscaled.theta, unscaled.beta]))


def test_starting_beta_is_least_squares_on_the_link_of_the_start_mean_less_the_offset():
    frame = _frame().assign(t=np.random.default_rng(4).uniform(1.0, 20.0, 150))
    design = build_design(parse_formula("c ~ x + offset(log(t)) + (1 | g)"), frame, family="poisson")
    problem = glmm.make_problem(design, get_family("poisson"))
    assert np.ptp(problem.offset) > 1.0
    target = np.log(frame["c"].to_numpy() + 0.1) - np.log(frame["t"].to_numpy())  # Poisson's start: μ = y + 0.1
    np.testing.assert_allclose(glmm.starting_beta(problem), np.linalg.lstsq(problem.X, target, rcond=None)[0])


@pytest.mark.parametrize("trials", ["varying", "all two"])
def test_the_bernoulli_shortcut_is_not_taken_for_counts_that_are_all_or_nothing(trials):
    # every row all successes or all failures out of n ≥ 2 trials: y ∈ {0, 1}, but not Bernoulli data
    rng = np.random.default_rng(6)
    n = rng.integers(2, 6, 80) if trials == "varying" else np.full(80, 2)
    s = np.where(rng.random(80) < 0.4, n, 0)
    frame = pd.DataFrame({"s": s, "f": n - s, "x": rng.normal(size=80), "g": rng.integers(0, 8, 80).astype(str)})
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g)"), frame, family="binomial")
    problem = glmm.make_problem(design, get_family("binomial"))
    assert not problem.bernoulli
    mu = rng.uniform(0.05, 0.95, 80)
    expected = stats.binom.logpmf(s, n, mu) - stats.binom.logpmf(s, n, np.where(s > 0, 1.0, 0.0))  # no constant
    np.testing.assert_allclose(log_density_kernel(problem, mu), expected, rtol=1e-12)
    np.testing.assert_allclose(log_density(problem, mu), stats.binom.logpmf(s, n, mu), rtol=1e-12)


def test_a_two_node_fit_reports_lme4s_two_node_likelihood():
    # lme4's nAGQ > 1 objective is −2 log L + 2 log L(saturated) (tests/reference/README.md); glmm_cbind_agq2
    case = next(c for c in all_cases() if c.name == "glmm_cbind_agq2")
    model = fit_case(case)
    y, trials = np.asarray(model.design.y, dtype=float), np.asarray(model.design.weights, dtype=float)
    saturated = float(stats.binom.logpmf(np.round(y * trials), trials, y).sum())
    assert model.objective == pytest.approx(case.answer["objective"] - 2 * saturated, abs=1e-3)
    assert abs(model.objective - model.engine_fit.laplace_objective) > 0.01
