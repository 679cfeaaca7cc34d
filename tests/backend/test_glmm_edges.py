"""The GLMM engine's rarer paths, each checked by value: family pieces against closed forms and scipy,
PIRLS without the dense plan or the stored constants, the answers at the optimum of an unscaled problem,
the covariance from the Hessian refused when it is not one, and the dispersion family's guards.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mixedwidgets.backend import crossprod_dense, dispersion, glmm
from mixedwidgets.backend.agq import MAX_NODES, agq_deviance, require_single_scalar_term
from mixedwidgets.backend.convergence import ConvergenceReport
from mixedwidgets.backend.family import get_family, make_family
from mixedwidgets.backend.pirls import laplace_deviance, log_density, pirls
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula


def _frame(seed: int = 3, n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 12, size=n)
    h = rng.integers(0, 5, size=n)
    x = rng.normal(size=n)
    eta = 0.2 + 0.5 * x + rng.normal(scale=0.6, size=12)[g] + rng.normal(scale=0.3, size=5)[h]
    trials = rng.integers(1, 6, size=n)
    s = rng.binomial(trials, 1 / (1 + np.exp(-eta)))
    return pd.DataFrame(
        {
            "x": x,
            "g": g.astype(str),
            "h": h.astype(str),
            "s": s,
            "f": trials - s,
            "c": rng.poisson(np.exp(eta)),
            "r": rng.gamma(2.0, np.exp(eta) / 2.0),
        }
    )


def _problem(formula="cbind(s, f) ~ x + (1 | g) + (1 + x | h)", family="binomial", link=None, scale=False):
    design = build_design(parse_formula(formula), _frame(), family=family)
    return glmm.make_problem(design, get_family(family, link), scale_columns=scale)


# --- family pieces ---------------------------------------------------------------------------------


def _saturated_deviance(logpmf, y, mu):
    return 2.0 * (logpmf(y, y) - logpmf(y, mu))


def test_deviance_residuals_are_twice_the_loglik_below_the_saturated_model():
    rng = np.random.default_rng(0)
    mu = rng.uniform(0.1, 0.9, 40)
    trials = rng.integers(1, 8, 40).astype(float)
    y = rng.binomial(trials.astype(int), mu) / trials
    binom = lambda y_, m: stats.binom.logpmf(np.round(y_ * trials), trials, m)  # noqa: E731
    fam = get_family("binomial")
    np.testing.assert_allclose(fam.deviance_residuals(y, mu, trials), _saturated_deviance(binom, y, mu), atol=1e-10)
    counts, lam, wt = rng.poisson(3.0, 40).astype(float), rng.uniform(0.5, 6, 40), rng.uniform(0.5, 2, 40)
    pois = lambda y_, m: wt * stats.poisson.logpmf(y_, m)  # noqa: E731
    np.testing.assert_allclose(
        get_family("poisson").deviance_residuals(counts, lam, wt), _saturated_deviance(pois, counts, lam), atol=1e-10
    )
    theta = 2.5
    nb = lambda y_, m: stats.nbinom.logpmf(y_, theta, theta / (theta + m))  # noqa: E731
    np.testing.assert_allclose(
        make_family("negative_binomial", dispersion=theta).deviance_residuals(counts, lam, np.ones(40)),
        _saturated_deviance(nb, counts, lam),
        atol=1e-10,
    )
    shape, r = 3.0, rng.gamma(2.0, 1.0, 40)
    gam = lambda y_, m: stats.gamma.logpdf(y_, shape, scale=m / shape)  # noqa: E731
    np.testing.assert_allclose(  # R's Gamma()$dev.resids is unscaled: the deviance times the shape
        make_family("gamma", dispersion=shape).deviance_residuals(r, lam, np.ones(40)) * shape,
        _saturated_deviance(gam, r, lam),
        atol=1e-9,
    )
    gauss = get_family("gaussian")
    np.testing.assert_allclose(gauss.deviance_residuals(r, lam, wt), wt * (r - lam) ** 2)


def test_gaussian_log_density_is_the_normal_with_variance_one_over_the_weight():
    rng = np.random.default_rng(1)
    y, mu, wt = rng.normal(size=30), rng.normal(size=30), rng.uniform(0.2, 4, 30)
    fam = get_family("gaussian")
    np.testing.assert_allclose(fam.log_density(y, mu, wt), stats.norm.logpdf(y, mu, 1 / np.sqrt(wt)), rtol=1e-12)
    np.testing.assert_allclose(fam.variance(mu), np.ones(30))
    np.testing.assert_allclose(fam.start_mu(y, wt), y)


def test_get_family_from_a_family_object():
    binomial = get_family("binomial")
    assert get_family(binomial) is binomial
    assert get_family(binomial, "logit") is binomial
    probit = get_family(binomial, "probit")
    assert (probit.name, probit.link.name) == ("binomial", "probit")
    nb = make_family("negative_binomial", dispersion=2.0)
    assert get_family(nb) is nb
    again = get_family(nb, dispersion=5.0)
    assert (again.name, again.dispersion, again.link.name) == ("negative_binomial", 5.0, "log")
    gamma_inverse = get_family(make_family("gamma", dispersion=3.0), "inverse")
    assert (gamma_inverse.link.name, gamma_inverse.dispersion) == ("inverse", 1.0)  # a new family: default φ
    with pytest.raises(MixedModelError, match="takes the log link"):
        get_family(get_family("poisson"), "identity")


def test_the_glmm_engine_refuses_the_gaussian_family():
    with pytest.raises(MixedModelError, match="Gaussian models are fitted as LMMs"):
        make_family("gaussian")
    assert make_family("Poisson").name == "poisson"


# --- PIRLS -----------------------------------------------------------------------------------------


def test_pirls_without_the_dense_plan_gives_the_same_modes(monkeypatch):
    planned = _problem()
    monkeypatch.setattr(crossprod_dense, "MAX_DENSE_FLOPS", 0)
    unplanned = _problem()
    assert planned.plan is not None and unplanned.plan is None
    theta = np.array([0.8, 0.5, -0.2, 0.4])
    beta = np.array([0.1, 0.4])
    results = [pirls(p, theta, beta, np.zeros(p.structure.q_total)) for p in (planned, unplanned)]
    assert all(r.converged for r in results)
    np.testing.assert_allclose(results[1].u, results[0].u, rtol=1e-8, atol=1e-10)
    assert laplace_deviance(unplanned, results[1]) == pytest.approx(laplace_deviance(planned, results[0]), rel=1e-11)
    first = pirls(planned, theta, beta, np.zeros(planned.structure.q_total), update_beta=True)
    second = pirls(unplanned, theta, beta, np.zeros(unplanned.structure.q_total), update_beta=True)
    np.testing.assert_allclose(second.beta, first.beta, rtol=1e-8)


@pytest.mark.parametrize(
    ("family", "formula"), [("binomial", "cbind(s, f) ~ x + (1 | g)"), ("poisson", "c ~ x + (1 | g)")]
)
def test_log_density_without_stored_constants_is_the_full_density(family, formula):
    problem = _problem(formula, family)
    bare = dataclasses.replace(problem, log_density_constants=None)
    mu = problem.family.link.inverse(problem.X @ np.array([0.3, 0.2]))
    full = problem.family.log_density(problem.y, mu, problem.prior_weights)
    np.testing.assert_allclose(log_density(bare, mu), full, rtol=1e-13)
    np.testing.assert_allclose(log_density(problem, mu), full, rtol=1e-13)
    if family == "poisson":
        np.testing.assert_allclose(full, stats.poisson.logpmf(problem.y, mu), rtol=1e-12)


# --- quadrature guard, answers at the optimum ------------------------------------------------------


def test_quadrature_node_limit():
    problem = _problem("cbind(s, f) ~ x + (1 | g)")
    require_single_scalar_term(problem, MAX_NODES)  # the limit itself is allowed
    with pytest.raises(MixedModelError, match="more quadrature nodes"):
        require_single_scalar_term(problem, MAX_NODES + 1)


@pytest.mark.parametrize("nagq", [1, 5])
def test_answers_at_an_unscaled_problem(nagq):
    problem = _problem("cbind(s, f) ~ x + (1 | g)")
    assert problem.term_scales is None
    theta, beta = np.array([0.7]), np.array([0.2, 0.45])
    modes = pirls(problem, theta, beta, np.zeros(problem.structure.q_total))
    ranef, ranef_cov, laplace, objective = glmm.answers_at(problem, theta, beta, modes, nagq)
    np.testing.assert_allclose(ranef[0][:, 0], 0.7 * modes.u)  # b = Λu
    l_gg = modes.factor.chol0[:, 0, 0]
    np.testing.assert_allclose(ranef_cov[0][:, 0, 0], 0.49 / l_gg**2)  # Λ (L L')⁻¹ Λ'
    assert laplace == laplace_deviance(problem, modes)
    assert objective == (laplace if nagq == 1 else agq_deviance(problem, theta, beta, modes, nagq))


def test_answers_at_an_unevaluable_point_say_so_and_hint_at_the_link():
    problem = _problem("r ~ x + (1 | g)", "gamma", "inverse")
    theta, beta = np.array([0.3]), np.array([-1.0, 0.0])  # η < 0: μ = 1/η is not a mean
    modes = pirls(problem, theta, np.array([1.0, 0.0]), np.zeros(problem.structure.q_total))
    assert np.isfinite(glmm.answers_at(problem, theta, np.array([1.0, 0.0]), modes, 3)[3])
    with pytest.raises(MixedModelError, match="could not be evaluated at the estimates; the inverse link"):
        glmm.answers_at(problem, theta, beta, modes, 3)  # quadrature at β: every row's density is 0
    log_link = _problem("r ~ x + (1 | g)", "gamma", "log")
    modes = pirls(log_link, theta, np.array([0.0, 0.0]), np.zeros(log_link.structure.q_total))
    broken = dataclasses.replace(modes, mu=np.full(log_link.n, np.nan))
    with pytest.raises(MixedModelError, match="could not be evaluated at the estimates$"):
        glmm.answers_at(log_link, theta, beta, broken, 1)


# --- the covariance from the Hessian ---------------------------------------------------------------


def _report(hessian):
    return ConvergenceReport(False, True, np.zeros(0), (), hessian)


def test_parameter_covariance_only_from_a_proper_hessian():
    h = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    free = np.ones(3, bool)
    np.testing.assert_allclose(glmm._parameter_cov(_report(h), free, 1, 2), np.linalg.inv(h / 2))
    np.testing.assert_allclose(dispersion._parameter_cov(_report(h), free), np.linalg.inv(h / 2))
    bad = {
        "no Hessian": None,
        "not finite": np.where(np.eye(3) > 0, np.nan, h),
        "singular": np.ones((3, 3)),
        "negative variance": -h,
        "a zero variance": 2.0 * np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # its own inverse
    }
    for name, hess in bad.items():
        assert glmm._parameter_cov(_report(hess), free, 1, 2) is None, name
        assert dispersion._parameter_cov(_report(hess), free) is None, name
    partly = np.array([False, True, True])  # θ on its bound: a 2 × 2 Hessian over β
    assert glmm._parameter_cov(_report(h), partly, 1, 2) is None  # 3 × 3 does not match
    assert dispersion._parameter_cov(_report(h), partly) is None
    np.testing.assert_allclose(glmm._parameter_cov(_report(h[1:, 1:]), partly, 1, 2), np.linalg.inv(h[1:, 1:] / 2))
    beta_fixed = np.array([True, False, True])  # a β excluded: no covariance for β from this Hessian
    assert glmm._parameter_cov(_report(h[[0, 2]][:, [0, 2]]), beta_fixed, 1, 2) is None


# --- dispersion families ---------------------------------------------------------------------------


def test_dispersion_problem_guards_its_parameter():
    design = build_design(parse_formula("c ~ x + (1 | g)"), _frame(), family="negative_binomial")
    problem = dispersion.DispersionProblem(glmm.make_problem(design, make_family("negative_binomial")))
    assert problem.at(np.log(2.5)).family.dispersion == pytest.approx(2.5)
    assert problem.at(-50.0).family.dispersion == pytest.approx(np.exp(-50.0))
    for bad in (50.5, -51.0, np.nan, np.inf):
        with pytest.raises(FloatingPointError, match="ran off"):
            problem.at(bad)
    with pytest.raises(MixedModelError, match="no dispersion parameter"):
        dispersion.fit_glmm_dispersion(design, get_family("poisson"))


def test_pirls_refuses_linear_predictors_that_are_not_finite():
    problem = _problem("cbind(s, f) ~ x + (1 | g)")
    u0 = np.zeros(problem.structure.q_total)
    assert np.all(np.isfinite(pirls(problem, np.array([0.5]), np.array([30.0, 0.0]), u0).eta))
    with pytest.raises(MixedModelError, match="non-finite linear predictors"):
        pirls(problem, np.array([0.5]), np.array([np.inf, 0.0]), u0)
