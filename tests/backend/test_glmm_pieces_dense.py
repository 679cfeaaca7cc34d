"""The GLMM engine's pieces against independent dense computations on small random problems.

PIRLS must land on the minimizer of the penalized deviance −2 Σ log p(y | μ(u)) + ‖u‖² (found here
by scipy's optimizer on the dense problem); the Laplace deviance must equal its textbook formula at
those modes; adaptive quadrature must equal each group's integral computed by scipy.integrate.quad.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from mixedwidgets.backend.agq import agq_deviance
from mixedwidgets.backend.family import get_family
from mixedwidgets.backend.glmm import make_problem
from mixedwidgets.backend.pirls import laplace_deviance, log_density, pirls
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

CASES = {
    "logit_slope": ("binomial", "logit", "y ~ x + (1 + x | g)"),
    "probit_crossed": ("binomial", "probit", "y ~ x + (1 | g) + (1 | h)"),
    "cloglog_trials": ("binomial", "cloglog", "cbind(s, f) ~ x + (1 | g)"),
    "poisson_offset_tail_slope": ("poisson", "log", "c ~ x + offset(log(t)) + (1 | g) + (1 + x | h)"),
}


def random_frame(seed: int, n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 17, size=n)
    h = rng.integers(0, 6, size=n)
    x = rng.normal(size=n)
    eta = -0.3 + 0.6 * x + rng.normal(scale=0.7, size=17)[g] + rng.normal(scale=0.4, size=6)[h]
    p = 1 / (1 + np.exp(-eta))
    trials = rng.integers(1, 6, size=n)
    t = rng.uniform(0.5, 3, size=n)
    s = rng.binomial(trials, p)
    return pd.DataFrame(
        {
            "x": x,
            "g": g.astype(str),
            "h": h.astype(str),
            "y": rng.binomial(1, p),
            "s": s,
            "f": trials - s,
            "t": t,
            "c": rng.poisson(t * np.exp(eta)),
        }
    )


def dense_z_lambda(problem, theta):
    n = problem.n
    zs, lams = [], []
    for layout, factor in zip(problem.structure.terms, problem.structure.factors(theta)):
        term = problem.terms[layout.design_position]
        values = np.asarray(term.values, dtype=float).reshape(n, layout.q)
        z = np.zeros((n, layout.size))
        for j in range(layout.q):
            z[np.arange(n), np.asarray(term.codes) * layout.q + j] = values[:, j]
        zs.append(z)
        lams.append(np.kron(np.eye(layout.n_levels), factor))
    lam = np.zeros((sum(a.shape[0] for a in lams),) * 2)
    start = 0
    for block in lams:
        lam[start : start + block.shape[0], start : start + block.shape[0]] = block
        start += block.shape[0]
    return np.hstack(zs) @ lam


def problem_for(name: str, seed: int):
    family, link, formula = CASES[name]
    design = build_design(parse_formula(formula), random_frame(seed), family=family)
    return make_problem(design, get_family(family, link))


def penalized_deviance(problem, zl, beta, u):
    mu = problem.family.link.inverse(problem.offset + problem.X @ beta + zl @ u)
    return float(-2 * log_density(problem, mu).sum() + u @ u)


def random_point(problem, rng):
    theta = rng.normal(scale=0.6, size=problem.structure.n_theta)
    theta = np.where(problem.structure.lower == 0, np.abs(theta) + 0.2, theta)
    return theta, rng.normal(scale=0.3, size=problem.X.shape[1])


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [3, 4])
def test_pirls_modes_minimize_the_penalized_deviance(name, seed):
    problem = problem_for(name, seed)
    theta, beta = random_point(problem, np.random.default_rng(seed))
    zl = dense_z_lambda(problem, theta)
    result = pirls(problem, theta, beta, np.zeros(zl.shape[1]))
    assert result.converged
    reference = optimize.minimize(
        lambda u: penalized_deviance(problem, zl, beta, u),
        np.zeros(zl.shape[1]),
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 5000},
    )
    assert penalized_deviance(problem, zl, beta, result.u) <= reference.fun + 1e-8
    np.testing.assert_allclose(result.u, reference.x, atol=2e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pirls_with_beta_minimizes_over_both(name):
    problem = problem_for(name, 5)
    theta, beta = random_point(problem, np.random.default_rng(5))
    zl = dense_z_lambda(problem, theta)
    q, p = zl.shape[1], problem.X.shape[1]
    result = pirls(problem, theta, beta, np.zeros(q), update_beta=True)
    reference = optimize.minimize(
        lambda v: penalized_deviance(problem, zl, v[q:], v[:q]),
        np.zeros(q + p),
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 5000},
    )
    assert penalized_deviance(problem, zl, result.beta, result.u) <= reference.fun + 1e-8
    np.testing.assert_allclose(result.beta, reference.x[q:], atol=2e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_laplace_deviance_is_the_textbook_formula(name):
    problem = problem_for(name, 6)
    theta, beta = random_point(problem, np.random.default_rng(6))
    zl = dense_z_lambda(problem, theta)
    result = pirls(problem, theta, beta, np.zeros(zl.shape[1]))
    eta = problem.offset + problem.X @ beta + zl @ result.u
    mu = problem.family.link.inverse(eta)
    w = problem.prior_weights * problem.family.link.mu_eta(eta) ** 2 / problem.family.variance(mu)
    logdet = np.linalg.slogdet(zl.T @ (w[:, None] * zl) + np.eye(zl.shape[1]))[1]
    expected = -2 * log_density(problem, mu).sum() + result.u @ result.u + logdet
    assert laplace_deviance(problem, result) == pytest.approx(expected, rel=1e-7)


def quadrature_deviance(problem, theta, beta) -> float:
    """−2 Σ_g log ∫ Π_{i in g} p(y_i | u) φ(u) du, each integral by scipy.integrate.quad."""
    layout = problem.structure.terms[0]
    term = problem.terms[layout.design_position]
    codes, z = np.asarray(term.codes), np.asarray(term.values, dtype=float).ravel()
    fixed = problem.offset + problem.X @ beta
    total = 0.0
    for level in range(layout.n_levels):
        rows = codes == level

        def integrand(u, rows=rows):
            mu = problem.family.link.inverse(fixed[rows] + z[rows] * theta[0] * u)
            log_p = problem.family.log_density(problem.y[rows], mu, problem.prior_weights[rows]).sum()
            return np.exp(log_p) * stats.norm.pdf(u)

        value, _ = integrate.quad(integrand, -12, 12, epsabs=0, epsrel=1e-12, limit=200)
        total += -2 * np.log(value)
    return total


@pytest.mark.parametrize(
    "family, formula",
    [
        ("binomial", "y ~ x + (1 | g)"),
        ("binomial", "cbind(s, f) ~ x + (1 | g)"),
        ("poisson", "c ~ x + offset(log(t)) + (1 | g)"),
    ],
)
def test_adaptive_quadrature_equals_numerical_integration(family, formula):
    design = build_design(parse_formula(formula), random_frame(8), family=family)
    problem = make_problem(design, get_family(family))
    theta, beta = np.array([0.9]), np.array([-0.2, 0.5])
    modes = pirls(problem, theta, beta, np.zeros(problem.structure.q_total))
    expected = quadrature_deviance(problem, theta, beta)
    assert agq_deviance(problem, theta, beta, modes, 25) == pytest.approx(expected, rel=1e-9)
    assert agq_deviance(problem, theta, beta, modes, 1) == pytest.approx(laplace_deviance(problem, modes), rel=1e-9)
    assert abs(agq_deviance(problem, theta, beta, modes, 1) - expected) > 1e-4  # the test can tell them apart
