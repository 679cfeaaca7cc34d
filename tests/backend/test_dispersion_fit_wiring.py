"""The dispersion (negative binomial, Gamma) fit's own wiring, checked by value: the feasible start of β,
quadrature with two nodes (refused for two terms; otherwise its optimum is the two-node deviance's, computed
here with agq_deviance at PIRLS modes, outside the fit), one stage-two run when the check passes, the names in
the singular-fit message, and a slope's units (x·100: the same optimum, β and θ scaled)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from test_glmm_edges import _frame

from mixedwidgets.backend import dispersion, glmm
from mixedwidgets.backend.agq import agq_deviance
from mixedwidgets.backend.family import make_family
from mixedwidgets.backend.pirls import pirls
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula


def _gamma_problem(link="inverse"):
    design = build_design(parse_formula("r ~ x + (1 | g)"), _frame(), family="gamma")
    return glmm.make_problem(design, make_family("gamma", link, dispersion=2.0))


def test_feasible_start_keeps_a_beta_with_every_mean_positive_and_replaces_one_without():
    problem = _gamma_problem()
    x = problem.X[:, 1]
    keep = np.array([1.0, 0.1 / np.abs(x).max()])  # η = 1 + 0.1·x/max|x| > 0 in every row
    np.testing.assert_array_equal(dispersion.feasible_start(problem, keep), keep)
    bad = np.array([0.0, 1.0])  # η = x: negative in some rows, where 1/η is not a Gamma mean
    level = 1.0 / np.average(problem.y, weights=problem.prior_weights)  # the inverse link of the mean response
    expected = np.linalg.lstsq(problem.X, np.full(problem.n, level) - problem.offset, rcond=None)[0]
    start = dispersion.feasible_start(problem, bad)
    np.testing.assert_allclose(start, expected, rtol=1e-12)
    np.testing.assert_allclose(start, [level, 0.0], atol=1e-12)  # a constant η fitted by the intercept


def test_two_node_quadrature_needs_a_single_scalar_term():
    design = build_design(parse_formula("c ~ x + (1 | g) + (1 | h)"), _frame(), family="negative_binomial")
    with pytest.raises(MixedModelError, match="single scalar random-effect term"):
        dispersion.fit_glmm_dispersion(design, make_family("negative_binomial"), nagq=2)


def at_dispersion(problem, value):
    return dataclasses.replace(problem, family=problem.family.with_dispersion(float(value)))


def test_two_node_quadrature_optimum_is_the_two_node_deviances():
    design = build_design(parse_formula("c ~ x + (1 | g)"), _frame(), family="negative_binomial")
    fit = dispersion.fit_glmm_dispersion(design, make_family("negative_binomial"), nagq=2)
    problem = glmm.make_problem(design, make_family("negative_binomial"))

    def deviance(theta, beta, log_phi):
        at = at_dispersion(problem, np.exp(log_phi))
        modes = pirls(at, np.array([theta]), beta, np.zeros(at.structure.q_total))
        return agq_deviance(at, np.array([theta]), beta, modes, 2)

    x0 = np.concatenate([fit.theta, fit.beta, [np.log(fit.family.dispersion)]])
    f0 = deviance(x0[0], x0[1:3], x0[3])
    assert fit.objective == pytest.approx(f0, abs=1e-6)
    assert abs(fit.objective - fit.laplace_objective) > 1e-3  # two nodes are not the Laplace value here
    for i in range(4):  # a minimum: no move of 1e-3 in any coordinate lowers it
        for sign in (-1, 1):
            x = x0.copy()
            x[i] += sign * 1e-3
            assert deviance(x[0], x[1:3], x[3]) > f0 - 1e-7


def test_a_converged_fit_runs_stage_two_once(monkeypatch):
    runs = []
    real = dispersion._stage_two
    monkeypatch.setattr(dispersion, "_stage_two", lambda *a, **k: runs.append(a[-1]) or real(*a, **k))
    design = build_design(parse_formula("c ~ x + (1 | g)"), _frame(), family="negative_binomial")
    fit = dispersion.fit_glmm_dispersion(design, make_family("negative_binomial"))
    assert fit.convergence.converged and runs == [1.0]


def test_a_singular_fit_names_the_parameter_on_its_bound():
    frame = _frame()
    frame["k"] = np.random.default_rng(2).integers(0, 6, len(frame)).astype(str)  # no effect of k
    design = build_design(parse_formula("c ~ x + (1 | g) + (1 | k)"), frame, family="negative_binomial")
    fit = dispersion.fit_glmm_dispersion(design, make_family("negative_binomial"))
    assert fit.convergence.singular and fit.theta[1] == 0.0
    assert "(k:(Intercept))" in fit.convergence.messages[0]


def _slope_fits():
    rng = np.random.default_rng(9)
    g, x = rng.integers(0, 25, 500), rng.normal(size=500)
    eta = 1.0 + 0.4 * x + rng.normal(scale=0.5, size=25)[g] + rng.normal(scale=0.3, size=25)[g] * x
    frame = pd.DataFrame({"y": rng.negative_binomial(3.0, 3.0 / (3.0 + np.exp(eta))), "x": x, "g": g.astype(str)})
    fits = []
    for factor in (1.0, 100.0):
        design = build_design(
            parse_formula("y ~ x + (1 + x | g)"), frame.assign(x=x * factor), family="negative_binomial"
        )
        fits.append(dispersion.fit_glmm_dispersion(design, make_family("negative_binomial")))
    return frame, fits


def test_a_slope_in_hundreds_gives_the_same_fit():
    _, (plain, scaled) = _slope_fits()
    assert plain.convergence.converged and scaled.convergence.converged and not plain.convergence.singular
    assert scaled.objective == pytest.approx(plain.objective, abs=1e-5)
    ratio_theta, ratio_beta = np.array([1.0, 0.01, 0.01]), np.array([1.0, 0.01])
    np.testing.assert_allclose(scaled.theta, plain.theta * ratio_theta, rtol=2e-3)
    np.testing.assert_allclose(scaled.beta, plain.beta * ratio_beta, rtol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(scaled.vcov)), np.sqrt(np.diag(plain.vcov)) * ratio_beta, rtol=1e-3)


def test_the_fit_record_is_in_the_callers_units():
    frame, (plain, scaled) = _slope_fits()
    ratio = np.array([1.0, 0.01, 0.01, 1.0, 0.01])  # θ (intercept, slope–intercept, slope), β (intercept, x)
    x = frame["x"].to_numpy() * 100.0
    codes = frame["g"].astype("category").cat.codes.to_numpy()  # levels in sorted order, as the design's
    for fit in (plain, scaled):
        k, p = 3, 2
        assert fit.nagq == 1 and fit.structure.n_theta == k and fit.free_parameters.tolist() == [True] * (k + p)
        assert fit.laplace_objective == fit.objective
        log_phi = np.log(fit.family.dispersion)
        np.testing.assert_allclose(fit.optsummary.final, np.r_[fit.theta, fit.beta, log_phi], rtol=1e-12)
        np.testing.assert_allclose(fit.parameter_cov[k:, k:], fit.vcov, rtol=1e-10)
        assert fit.parameter_cov.shape == (k + p, k + p)
    np.testing.assert_allclose(scaled.optsummary.initial[:5], plain.optsummary.initial[:5] * ratio, rtol=1e-6)
    np.testing.assert_allclose(scaled.parameter_cov, plain.parameter_cov * np.outer(ratio, ratio), rtol=2e-3)
    # the linear predictor and mean at the modes: η = β0 + β1·x + b_g0 + b_g1·x, μ = exp(η)
    b = scaled.ranef[0]
    eta = scaled.beta[0] + scaled.beta[1] * x + b[codes, 0] + b[codes, 1] * x
    np.testing.assert_allclose(scaled.eta, eta, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(scaled.mu, np.exp(eta), rtol=1e-8)
    # the modes and their covariances: the slope's entries are 1/100 of those on x
    np.testing.assert_allclose(scaled.ranef[0] * [1, 100], plain.ranef[0], rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(
        scaled.ranef_cov[0] * np.outer([1, 100], [1, 100]), plain.ranef_cov[0], rtol=2e-3, atol=1e-8
    )
